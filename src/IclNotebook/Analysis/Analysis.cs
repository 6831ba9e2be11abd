using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Loading.Hub;
using IclNotebook.Metrics;
using IclNotebook.Patching;
using IclNotebook.Tokenization;

namespace IclNotebook.Analysis;

/// <summary>Stages of an analysis, for progress displays.</summary>
public sealed record AnalysisStage(string Name, long Done, long Total);

/// <summary>
/// The whole analysis of the original Colab, as one call: load the model, build the task's clean
/// and corrupted prompts, baselines, then every requested patching target (and attribution).
/// </summary>
public static class IclAnalysis
{
    public static async Task<AnalysisResult> RunAsync(AnalysisOptions options, IProgress<DownloadProgress>? download = null,
        IProgress<AnalysisStage>? progress = null, CancellationToken ct = default)
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
        var task = IclTask.Load(options.TaskPath);
        var device = ModelSource.ParseDevice(options.Device);
        progress?.Report(new AnalysisStage("load model", 0, 1));
        var (model, _, revision) = await ModelSource.LoadWithSourceAsync(options.Model, options.Processing, device, progress: download, ct: ct).ConfigureAwait(false);
        using var owned = model;
        ct.ThrowIfCancellationRequested();
        progress?.Report(new AnalysisStage("tokenize", 0, 1));
        var prompts = task.BuildPrompts(Gpt2Tokenizer.Instance, options.ColabExact ? CorruptionMode.ColabExact : CorruptionMode.Default);
        progress?.Report(new AnalysisStage("baselines", 0, 1));
        using var setup = PatchingSetup.Create(model, prompts);
        var patchProgress = progress is null ? null : new Progress(progress);
        var results = sets.Select(set => engine.Run(setup, set, patchProgress, ct)).ToList();
        var attribution = options.Attribution ? AttributionPatching.Run(setup, sets) : [];
        return new AnalysisResult(options, model.Config.Name, revision, model.Processing.ToString(), prompts, setup.Metric.ReadPositions,
            setup.CleanPerPrompt, setup.CorruptedPerPrompt, results, attribution, clock.Elapsed.TotalSeconds);
    }

    private sealed class Progress(IProgress<AnalysisStage> inner) : IProgress<PatchProgress>
    {
        public void Report(PatchProgress value) => inner.Report(new AnalysisStage(value.Target, value.Done, value.Total));
    }
}
