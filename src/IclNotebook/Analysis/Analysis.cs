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
        var clock = Stopwatch.StartNew();
        var (engine, sets) = Plan(options, sharded: false);
        var (prompts, model, revision) = await LoadAsync(options, progress, ct).ConfigureAwait(false);
        using var owned = model;
        progress?.Report(WorkProgress.Stage("baselines"));
        using var setup = PatchingSetup.Create(model, prompts, options.Read);
        var results = sets.Select(set => engine.Run(setup, set, progress, ct)).ToList();
        var attribution = options.Attribution ? AttributionPatching.Run(setup, sets) : [];
        return new AnalysisResult(options, model.Config.Name, revision, model.Processing.ToString(), prompts, setup.Metric.ReadPositions,
            setup.CleanPerPrompt, setup.CorruptedPerPrompt, results, attribution, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Runs one shard of the analysis: the same loading and baselines, then only
    /// <paramref name="shard"/>'s part of every target's grid (<see cref="PatchingEngine.RunShard"/>);
    /// attribution, when asked for, is computed whole by shard 0. <paramref name="shardSource"/>
    /// says how the shard was chosen (recorded in the file); <paramref name="toolVersion"/> is the
    /// kit version every shard of a run must share.
    /// </summary>
    public static async Task<AnalysisShard> RunShardAsync(AnalysisOptions options, PatchShard shard, string shardSource, string toolVersion,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var (engine, sets) = Plan(options, sharded: true);
        var taskSha = AnalysisRun.Sha256Of(options.TaskPath);
        var (prompts, model, revision) = await LoadAsync(options, progress, ct).ConfigureAwait(false);
        using var owned = model;
        progress?.Report(WorkProgress.Stage("baselines"));
        using var setup = PatchingSetup.Create(model, prompts, options.Read);
        var results = sets.Select(set => engine.RunShard(setup, set, shard, progress, ct)).ToList();
        var attribution = options.Attribution && shard.Index == 0 ? AttributionPatching.Run(setup, sets) : [];
        var run = new AnalysisRun(toolVersion, options.Model, model.Config.Name, revision, model.Processing.ToString(), prompts.TaskName,
            Path.GetFullPath(options.TaskPath), taskSha, sets.Select(s => s.Name).ToArray(), engine.Name, options.Attribution,
            OptionNames.Name(options.Read), OptionNames.Name(prompts.Replay), setup.Metric.Description, shard.Count);
        return new AnalysisShard
        {
            Run = run,
            ShardIndex = shard.Index,
            ShardSource = shardSource,
            Host = Environment.MachineName,
            StartedUtc = started,
            Prompts = StoredPrompts.From(prompts),
            ReadPositions = setup.Metric.ReadPositions,
            CleanPerPrompt = setup.CleanPerPrompt,
            CorruptedPerPrompt = setup.CorruptedPerPrompt,
            Results = results,
            Attribution = attribution,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// The engine and target sets, checked before any work (unknown names fail here). A shard's fast
    /// engine takes the fixed budget cap rather than its machine's memory: every shard, wherever it runs,
    /// must cut the grid into the same batched forwards.
    /// </summary>
    private static (PatchingEngine Engine, List<PatchTargetSet> Sets) Plan(AnalysisOptions options, bool sharded)
    {
        ArgumentNullException.ThrowIfNull(options);
        var sets = options.Targets.Select(PatchTargets.Find).ToList();
        PatchingEngine engine = options.Engine switch
        {
            "fast" => new FastEngine(sharded ? new FastEngineOptions { BatchMemoryMb = FastEngineOptions.MaxDefaultBatchMemoryMb } : null),
            "reference" => new ReferenceEngine(),
            _ => throw new IclException($"Unknown engine '{options.Engine}'. Engines: fast, reference."),
        };
        return (engine, sets);
    }

    /// <summary>The task's prompts and the model: everything that can fail on the input is checked before the model is loaded (or downloaded).</summary>
    private static async Task<(IclPromptSet Prompts, Model.HookedTransformer Model, string Revision)> LoadAsync(AnalysisOptions options, IProgress<WorkProgress>? progress, CancellationToken ct)
    {
        var task = IclTask.Load(options.TaskPath);
        var device = ModelSource.ParseDevice(options.Device);
        progress?.Report(WorkProgress.Stage("tokenize"));
        var tokenizer = await ModelSource.LoadTokenizerAsync(options.Model, options.Hub, progress, ct).ConfigureAwait(false);
        var prompts = task.BuildPrompts(tokenizer, options.Replay);
        progress?.Report(WorkProgress.Stage("load model"));
        var (model, _, revision) = await ModelSource.LoadWithSourceAsync(options.Model, options.Processing, device, options.Hub, progress, ct: ct, tokenizer: tokenizer).ConfigureAwait(false);
        if (ct.IsCancellationRequested)
        {
            model.Dispose();
            ct.ThrowIfCancellationRequested();
        }
        return (prompts, model, revision);
    }
}
