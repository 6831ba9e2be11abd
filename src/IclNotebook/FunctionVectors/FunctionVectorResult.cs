using IclNotebook.Patching;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// Everything the function-vector protocol produced: the indirect-effect grid as a patching result
/// (values = mean P(answer) on the corrupted prompts with that head patched; its corrupted baseline
/// is the unpatched mean, so value − baseline is the head's average indirect effect), the top heads,
/// the vector and the zero-shot test.
/// </summary>
public sealed record FunctionVectorResult
{
    /// <summary>[Layer, Head] patching result in probability units; <see cref="Aie"/> gives value − corrupted baseline.</summary>
    public required PatchResult Grid { get; init; }

    /// <summary>Average indirect effect per head, [layer][head].</summary>
    public required IReadOnlyList<IReadOnlyList<double>> Aie { get; init; }

    /// <summary>
    /// Each head's AIE with its 95 % interval, [layer][head]: a seeded bootstrap over prompts of the mean of
    /// P(answer | patched) − P(answer | corrupted) (1000 resamples, seed 0).
    /// </summary>
    public required IReadOnlyList<IReadOnlyList<Statistics.Interval>> AieIntervals { get; init; }

    /// <summary>The heads summed into the vector, best first, with their AIE.</summary>
    public required IReadOnlyList<(int Layer, int Head, double Aie)> TopHeads { get; init; }

    public required FunctionVector Vector { get; init; }

    /// <summary>Zero-shot accuracy with and without the vector, per layer tried.</summary>
    public required IReadOnlyList<ZeroShotResult> ZeroShot { get; init; }

    /// <summary>The zero-shot prompts (query template alone).</summary>
    public required IReadOnlyList<string> ZeroShotPrompts { get; init; }

    /// <summary>Mean P(answer) on the clean and the corrupted prompts (no patch).</summary>
    public required double CleanProbability { get; init; }
    public required double CorruptedProbability { get; init; }

    /// <summary>How the corrupted prompts were made: the task's own corruption or a seeded shuffle.</summary>
    public required string Corruption { get; init; }

    /// <summary>The protocol, in words, with its parameters.</summary>
    public required string Definition { get; init; }

    public required FunctionVectorOptions Options { get; init; }

    /// <summary>The average indirect effect of every head as a [Layer, Head] heatmap.</summary>
    public Plots.PlotlyFigure PlotAie(string? title = null) =>
        Plots.GridPlots.LayerHead(title ?? "Average indirect effect per head<br><sup>ΔP(answer) on the corrupted prompts " +
                "when the head's last-token output is set to its clean mean</sup>",
            [("AIE", Aie)], "ΔP(answer)");

    /// <summary>Zero-shot accuracy and P(answer), with and without the vector, over the layers tried.</summary>
    public Plots.PlotlyFigure PlotZeroShot(string? title = null)
    {
        var layers = ZeroShot.Select(z => z.Layer.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return Plots.LinePlots.Lines(title ?? "Zero-shot with the function vector<br><sup>the query alone, " +
                "the vector added to hook_resid_post of each layer at the last token</sup>",
            "Layer the vector is added at", "accuracy / mean P(answer)", layers,
            [("accuracy with the vector", ZeroShot.Select(z => z.AccuracyWith).ToArray()),
             ("P(answer) with the vector", ZeroShot.Select(z => z.ProbabilityWith).ToArray()),
             ("accuracy without", ZeroShot.Select(z => z.AccuracyWithout).ToArray()),
             ("P(answer) without", ZeroShot.Select(z => z.ProbabilityWithout).ToArray()),
             .. ZeroShot.All(z => z.ExactWith is not null && z.ExactWithout is not null)
                 ? new (string, IReadOnlyList<double>)[]
                 {
                     ("generated exact match with the vector", ZeroShot.Select(z => z.ExactWith!.Mean).ToArray()),
                     ("generated exact match without", ZeroShot.Select(z => z.ExactWithout!.Mean).ToArray()),
                 }
                 : []],
            dashed: new HashSet<string> { "accuracy without", "P(answer) without", "generated exact match without" });
    }

    /// <summary>The zero-shot row with the highest accuracy with the vector (ties: higher P(answer)).</summary>
    public ZeroShotResult Best => ZeroShot.OrderByDescending(z => z.AccuracyWith).ThenByDescending(z => z.ProbabilityWith).First();
}
