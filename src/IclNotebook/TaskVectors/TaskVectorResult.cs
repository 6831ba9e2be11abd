using System.Globalization;
using IclNotebook.Statistics;

namespace IclNotebook.TaskVectors;

/// <summary>One layer's task-vector accuracy over the prompts, with 95 % bootstrap intervals.</summary>
/// <param name="Layer">The layer whose <c>hook_resid_pre</c> the vector was taken from and written over.</param>
/// <param name="Accuracy">Exact match of the generated answer (<see cref="Generation.GeneratedAnswer"/>).</param>
/// <param name="FirstToken">The first generated token is the expected answer's first token.</param>
public sealed record TaskVectorLayer(int Layer, Interval Accuracy, Interval FirstToken);

/// <summary>One prompt's answers: in context, zero-shot, and with the task vector of each layer (the layers' order).</summary>
public sealed record TaskVectorPrompt(string Query, string Expected, string DummyQuery, string Icl, string ZeroShot, IReadOnlyList<string> Patched);

/// <summary>
/// What the task-vector protocol found: accuracy per layer with the vector patched into the query-only run, beside the
/// in-context and zero-shot baselines (each with its interval over the prompts), and every prompt's answers.
/// </summary>
public sealed record TaskVectorResult
{
    public required IReadOnlyList<TaskVectorLayer> Layers { get; init; }

    /// <summary>The demonstrations and the real query (the ceiling).</summary>
    public required Interval IclAccuracy { get; init; }
    public required Interval IclFirstToken { get; init; }

    /// <summary>The query alone, nothing patched (the floor).</summary>
    public required Interval ZeroShotAccuracy { get; init; }
    public required Interval ZeroShotFirstToken { get; init; }

    public required IReadOnlyList<TaskVectorPrompt> Prompts { get; init; }

    /// <summary>Tokens generated per answer.</summary>
    public required int MaxNewTokens { get; init; }

    /// <summary>The protocol, in words, with its parameters.</summary>
    public required string Definition { get; init; }

    public required TaskVectorOptions Options { get; init; }

    /// <summary>The layer with the highest accuracy (ties: higher first-token accuracy, then the earlier layer).</summary>
    public TaskVectorLayer Best =>
        Layers.OrderByDescending(l => l.Accuracy.Mean).ThenByDescending(l => l.FirstToken.Mean).ThenBy(l => l.Layer).First();

    /// <summary>Accuracy per layer with its intervals, and the two baselines (with theirs) as flat lines.</summary>
    public Plots.PlotlyFigure PlotAccuracy(string? title = null)
    {
        var layers = Layers.Select(l => l.Layer.ToString(CultureInfo.InvariantCulture)).ToArray();
        Interval[] Flat(Interval v) => layers.Select(_ => v).ToArray();
        return Plots.LinePlots.LinesWithIntervals(title ?? "Task vectors<br><sup>the query alone, hook_resid_pre of a layer at its last " +
                "token replaced by the demonstrations' (with a dummy query) at the same layer</sup>",
            "Layer the vector is taken from and patched into", "accuracy (exact match of the generated answer)", layers,
            [("with the task vector", Layers.Select(l => l.Accuracy).ToArray()),
             ("in context (demonstrations + query)", Flat(IclAccuracy)),
             ("zero-shot (query alone)", Flat(ZeroShotAccuracy))]);
    }
}
