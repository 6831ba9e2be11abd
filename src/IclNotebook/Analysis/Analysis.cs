using IclNotebook.Progress;
using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Loading.Hub;
using IclNotebook.Metrics;
using IclNotebook.Patching;
using IclNotebook.Tokenization;

namespace IclNotebook.Analysis;

/// <summary>
/// The whole analysis of the original Colab, as one call: load the model, build the task's clean
/// and corrupted prompts, baselines, then every requested patching target (and attribution).
/// </summary>
public static class IclAnalysis
{
    /// <summary>
    /// Runs the analysis. <paramref name="progress"/> hears each stage ("tokenize", "load model",
    /// "baselines"), the model's download if it needs one, and every patching target.
    /// </summary>
    public static async Task<AnalysisResult> RunAsync(AnalysisOptions options, IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var sets = options.Targets.Select(PatchTargets.Find).ToList();           // unknown names fail before any work
        PatchingEngine engine = options.Engine switch
        {
            "fast" => new FastEngine(),
            "reference" => new ReferenceEngine(),
            _ => throw new IclException($"Unknown engine '{options.Engine}'. Engines: fast, reference."),
        };
        // Everything that can fail on the input is checked before the model is loaded (or downloaded).
        var task = IclTask.Load(options.TaskPath);
        var device = ModelSource.ParseDevice(options.Device);
        progress?.Report(WorkProgress.Stage("tokenize"));
        var tokenizer = await ModelSource.LoadTokenizerAsync(options.Model, options.Hub, progress, ct).ConfigureAwait(false);
        var prompts = task.BuildPrompts(tokenizer, options.Replay);
        progress?.Report(WorkProgress.Stage("load model"));
        var (model, _, revision) = await ModelSource.LoadWithSourceAsync(options.Model, options.Processing, device, options.Hub, progress, ct: ct, tokenizer: tokenizer).ConfigureAwait(false);
        using var owned = model;
        ct.ThrowIfCancellationRequested();
        progress?.Report(WorkProgress.Stage("baselines"));
        using var setup = PatchingSetup.Create(model, prompts, options.Read);
        var results = sets.Select(set => engine.Run(setup, set, progress, ct)).ToList();
        var attribution = options.Attribution ? AttributionPatching.Run(setup, sets) : [];
        return new AnalysisResult(options, model.Config.Name, revision, model.Processing.ToString(), prompts, setup.Metric.ReadPositions,
            setup.CleanPerPrompt, setup.CorruptedPerPrompt, results, attribution, clock.Elapsed.TotalSeconds);
    }
}
