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
        var device = options.Device switch
        {
            "cpu" => TorchSharp.torch.CPU,
            "cuda" when TorchSharp.torch.cuda.is_available() => TorchSharp.torch.CUDA,
            "cuda" => throw new IclException("--device cuda: CUDA is not available (this build uses TorchSharp-cpu, or no GPU is present). Reference TorchSharp-cuda-linux/-windows instead of TorchSharp-cpu, or use --device cpu."),
            _ => throw new IclException($"--device must be 'cpu' or 'cuda', got '{options.Device}'."),
        };
        progress?.Report(new AnalysisStage("load model", 0, 1));
        var folder = await ModelLocator.ResolveAsync(options.Model, HubOptions.FromEnvironment(), download, ct).ConfigureAwait(false);
        using var model = ModelLoader.LoadFolder(folder, options.Processing, device, name: Directory.Exists(options.Model) ? null : options.Model);
        ct.ThrowIfCancellationRequested();
        progress?.Report(new AnalysisStage("tokenize", 0, 1));
        var prompts = task.BuildPrompts(Gpt2Tokenizer.Instance, options.ColabExact ? CorruptionMode.ColabExact : CorruptionMode.Default);
        var metric = options.ColabExact
            ? AnswerMetric.ColabExact(prompts.CleanTokens.MaxLength, prompts.AnswerTokenIds)
            : AnswerMetric.AtLastRealToken(prompts.CleanTokens.Lengths, prompts.AnswerTokenIds);
        progress?.Report(new AnalysisStage("baselines", 0, 1));
        using var setup = PatchingSetup.Create(model, prompts.CleanTokens, prompts.CorruptedTokens, metric, options.ColabExact);
        var patchProgress = progress is null ? null : new Progress(progress);
        var results = sets.Select(set => engine.Run(setup, set, patchProgress, ct)).ToList();
        var attribution = options.Attribution ? AttributionPatching.Run(setup, sets) : [];
        return new AnalysisResult(options, model.Config.Name, Revision(folder), model.Processing.ToString(), prompts, metric.ReadPositions,
            setup.CleanPerPrompt, setup.CorruptedPerPrompt, results, attribution, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The commit of a model from the Hugging Face cache (snapshots/&lt;commit&gt;), else "local folder".</summary>
    private static string Revision(string folder)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return Path.GetFileName(Path.GetDirectoryName(full)) == "snapshots" ? Path.GetFileName(full) : $"local folder {full}";
    }

    private sealed class Progress(IProgress<AnalysisStage> inner) : IProgress<PatchProgress>
    {
        public void Report(PatchProgress value) => inner.Report(new AnalysisStage(value.Target, value.Done, value.Total));
    }
}
