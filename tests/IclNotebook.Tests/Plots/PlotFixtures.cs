using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Tests.Plots;

/// <summary>Hand-built patching results (no model): baselines clean = 0, corrupted = -4 nats, so nats = 4 * normalised - 4.</summary>
internal static class PlotFixtures
{
    public const double Clean = 0, Corrupted = -4;

    public static double Nats(double normalised) => Corrupted + normalised * (Clean - Corrupted);

    public static PatchResult Make(string target, string[] axes, string[][] labels, Func<int, double> normalisedAt)
    {
        var shape = labels.Select(l => (long)l.Length).ToArray();
        int total = (int)shape.Aggregate(1L, (a, b) => a * b);
        return new PatchResult
        {
            Target = target,
            Axes = axes.Select(Enum.Parse<PatchAxis>).ToArray(),
            Shape = shape,
            Labels = labels,
            Values = Enumerable.Range(0, total).Select(i => Nats(normalisedAt(i))).ToArray(),
            CleanBaseline = Clean,
            CorruptedBaseline = Corrupted,
            Settings = new PatchSettings("gpt2", WeightProcessing.Default, ModelDType.Float32, PatchEngineKind.Fast,
                "mean log P(answer) at each prompt's last real token", MetricUnit.Nats, MetricRead.LastToken, CorruptionReplay.Simultaneous),
        };
    }

    public static string[] Numbers(int n) => Enumerable.Range(0, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static readonly string[] PositionLabels = ["0: <|endoftext|>", "1: Review", "2: :", "3: positive"];

    /// <summary>[Layer, Pos] 3 x 4; cell (1, 3) = 0.25, others spread over [-1.5, 1.5].</summary>
    public static PatchResult Resid() =>
        Make("resid_pre", ["Layer", "Pos"], [Numbers(3), PositionLabels], i => i == 7 ? 0.25 : -1.5 + 0.25 * i);

    public static readonly string[] PatchTypes = ["Output", "Query", "Key", "Value", "Pattern"];

    /// <summary>[PatchType, Layer, Head] 5 x 2 x 3.</summary>
    public static PatchResult Heads() =>
        Make("attn_head_all_pos_every", ["PatchType", "Layer", "Head"], [PatchTypes, Numbers(2), Numbers(3)], i => i / 30.0);

    /// <summary>[Layer, Pos, Head] 2 x 4 x 3.</summary>
    public static PatchResult ByPos() =>
        Make("attn_head_out_by_pos", ["Layer", "Pos", "Head"], [Numbers(2), PositionLabels, Numbers(3)], i => i / 24.0);
}
