using System.Diagnostics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Progress;
using IclNotebook.Studies;

namespace IclNotebook.Circuits;

/// <summary>What <c>icl circuit</c> computes.</summary>
public sealed record CircuitOptions
{
    /// <summary>Edges in the circuit drawn and reported (the top ones of the ranking). Default 20.</summary>
    public int TopK { get; init; } = 20;

    /// <summary>EAP-IG's interpolation steps (plain EAP is always computed beside it). Default 10.</summary>
    public int IntegratedGradientSteps { get; init; } = 10;

    /// <summary>Compute the exact path-patching grid (default); without it the circuit is ranked by EAP-IG.</summary>
    public bool Exact { get; init; } = true;

    /// <summary>The exact grid's engine: fast (default) or reference (the same numbers, slowly).</summary>
    public PatchEngineKind Engine { get; init; } = PatchEngineKind.Fast;

    /// <summary>Throws an <see cref="IclException"/> naming the first setting that cannot work.</summary>
    public CircuitOptions Validate()
    {
        if (TopK < 1) throw new IclException($"--top-k must be at least 1; got {TopK}.");
        if (IntegratedGradientSteps < 1) throw new IclException($"--ig-steps must be at least 1; got {IntegratedGradientSteps}.");
        if (Engine is not (PatchEngineKind.Fast or PatchEngineKind.Reference))
            throw new IclException($"The exact grid runs on the fast or the reference engine, not '{Engine}'.");
        return this;
    }
}

/// <summary>One ranking of the graph's edges and how faithful its top circuits are.</summary>
/// <param name="Method">"path patching", "EAP" or "EAP-IG (10 steps)".</param>
/// <param name="Grid">The grid (exact or estimated).</param>
/// <param name="Pearson">Pearson's r of the grid's normalised effects against the exact grid's (null: exact, or no exact grid).</param>
/// <param name="Faithfulness">Its top-k circuits' faithfulness, or null where the model's heads do not add into the residual stream.</param>
public sealed record CircuitRanking(string Method, PathPatchingResult Grid, double? Pearson, FaithfulnessCurve? Faithfulness);

/// <summary>
/// What <c>icl circuit</c> found, with the run it belongs to; <c>Circuit</c> is the first ranking's top
/// <see cref="CircuitOptions.TopK"/> edges of the graph.
/// </summary>
public sealed record CircuitStudyResult(string ModelName, string Revision, WeightProcessing Processing, ModelDType DType, string TaskName,
    string TaskPath, int Prompts, string Metric, CircuitOptions Options, IReadOnlyList<CircuitRanking> Rankings, IReadOnlyList<PathEdge> Circuit,
    int Layers, int Heads, double Seconds)
{
    /// <summary>The ranking the circuit is drawn from: the exact grid when computed, else EAP-IG.</summary>
    public CircuitRanking Chosen => Rankings[0];
}

/// <summary>
/// <c>icl circuit</c>: exact path patching of every sender (embeddings, heads, MLPs) into every receiver (heads' q, k, v
/// inputs, MLP inputs, logits) for a task's clean and corrupted prompts, edge attribution (EAP and EAP-IG) with its Pearson r
/// against the exact grid, and the faithfulness of each ranking's top-k circuits.
/// </summary>
public static class CircuitStudy
{
    public static async Task<CircuitStudyResult> RunAsync(StudyOptions study, CircuitOptions options, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var input = await StudyInput.LoadAsync(study, progress, ct).ConfigureAwait(false);
        return Run(input, study, options, progress, ct);
    }

    /// <summary>The study on an input already loaded.</summary>
    public static CircuitStudyResult Run(StudyInput input, StudyOptions study, CircuitOptions options, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var prompts = input.RequirePrompts("icl circuit");
        var cfg = input.Model.Config;
        progress?.Report(WorkProgress.Stage("baselines"));
        using var setup = PatchingSetup.Create(input.Model, prompts, study.EffectiveRead);
        var exact = options.Exact ? PathPatching.Run(setup, options: new PathPatchingOptions { Engine = options.Engine }, progress: progress, ct: ct)
            : null;
        progress?.Report(WorkProgress.Stage("edge attribution"));
        var eap = EdgeAttribution.Run(setup, progress: progress, ct: ct);
        var eapIg = EdgeAttribution.Run(setup, options: new EdgeAttributionOptions { IntegratedGradientSteps = options.IntegratedGradientSteps },
            progress: progress, ct: ct);
        bool additive = CircuitForward.Supports(cfg);
        int all = CircuitFaithfulness.EdgeCount(cfg);
        var sizes = CircuitFaithfulness.DefaultSizes(all).Append(Math.Min(options.TopK, all)).Distinct().Order().ToArray();
        CircuitRanking Rank(string method, PathPatchingResult grid)
        {
            double? r = exact is null || ReferenceEquals(grid, exact) ? null : EdgeAttribution.Compare(grid, exact, cfg).Pearson;
            return new CircuitRanking(method, grid, r, additive ? CircuitFaithfulness.Curve(setup, grid, sizes, progress, ct) : null);
        }
        var rankings = new List<CircuitRanking>();
        if (exact is not null) rankings.Add(Rank("path patching", exact));
        var ig = Rank($"EAP-IG ({options.IntegratedGradientSteps} steps)", eapIg);
        rankings.Add(ig);
        rankings.Add(Rank("EAP", eap));
        var circuit = rankings[0].Grid.Edges().Where(e => e.Receiver.IsReachedBy(e.Sender, cfg)).Take(options.TopK).ToArray();
        return new CircuitStudyResult(cfg.Name, input.Revision, input.Model.Processing, cfg.DType, input.Task!.Name,
            Path.GetFullPath(study.TaskPath!), prompts.Count, setup.Metric.Description, options, rankings, circuit, cfg.NLayers, cfg.NHeads,
            clock.Elapsed.TotalSeconds);
    }
}
