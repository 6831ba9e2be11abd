using System.Diagnostics;
using IclNotebook.Patching;
using IclNotebook.Progress;
using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// <c>icl analyze</c>, the original Colab's analysis as one study: the model and the task's clean and
/// corrupted prompts (<see cref="StudyInput"/>), the baselines, then every requested patching target
/// (and attribution).
/// </summary>
public static class PatchingStudy
{
    /// <summary>
    /// Runs the study. <paramref name="progress"/> hears each stage ("tokenize", "load model",
    /// "baselines"), the model's download if it needs one, and every patching target.
    /// </summary>
    public static async Task<PatchingStudyResult> RunAsync(StudyOptions study, PatchingOptions patching, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        Plan(study, patching, sharded: false);                                   // names checked before any loading
        using var input = await StudyInput.LoadAsync(study, progress, ct).ConfigureAwait(false);
        return Run(input, study, patching, progress, ct);
    }

    /// <summary>The study on an input already loaded (<see cref="StudyInput.OnLoaded"/>, as a sweep does).</summary>
    public static PatchingStudyResult Run(StudyInput input, StudyOptions study, PatchingOptions patching, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var clock = Stopwatch.StartNew();
        var (engine, sets) = Plan(study, patching, sharded: false);
        var prompts = input.RequirePrompts("icl analyze");
        progress?.Report(WorkProgress.Stage("baselines"));
        using var setup = PatchingSetup.Create(input.Model, prompts, study.EffectiveRead);
        var results = sets.Select(set => engine.Run(setup, set, progress, ct)).ToList();
        var attribution = patching.Attribution ? AttributionPatching.Run(setup, sets) : [];
        return new PatchingStudyResult(study, patching, input.Model.Config.Name, input.Revision, prompts,
            setup.Metric.ReadPositions, setup.CleanPerPrompt, setup.CorruptedPerPrompt, results, attribution, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Runs one shard of the study: the same loading and baselines, then only <paramref name="shard"/>'s
    /// part of every target's grid (<see cref="PatchingEngine.RunShard"/>); attribution, when asked for,
    /// is computed whole by shard 0. <paramref name="shardSource"/> says how the shard was chosen
    /// (recorded in the file); <paramref name="toolVersion"/> is the kit version every shard of a run
    /// must share.
    /// </summary>
    public static async Task<PatchingStudyShard> RunShardAsync(StudyOptions study, PatchingOptions patching, PatchShard shard, string shardSource,
        string toolVersion, IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var (engine, sets) = Plan(study, patching, sharded: true);
        using var input = await StudyInput.LoadAsync(study, progress, ct).ConfigureAwait(false);
        var prompts = input.RequirePrompts("icl analyze");
        var taskPath = study.TaskPath!;
        progress?.Report(WorkProgress.Stage("baselines"));
        using var setup = PatchingSetup.Create(input.Model, prompts, study.EffectiveRead);
        var results = sets.Select(set => engine.RunShard(setup, set, shard, progress, ct)).ToList();
        var attribution = patching.Attribution && shard.Index == 0 ? AttributionPatching.Run(setup, sets) : [];
        var model = input.Model;
        var run = new PatchingStudyRun(toolVersion, study.Model, model.Config.Name, input.Revision, model.Processing, prompts.TaskName,
            Path.GetFullPath(taskPath), PatchingStudyRun.Sha256Of(taskPath), sets.Select(s => s.Name).ToArray(), engine.Kind,
            patching.Attribution, study.EffectiveRead, prompts.Replay, setup.Metric.Description, shard.Count);
        return new PatchingStudyShard
        {
            Run = run,
            ShardIndex = shard.Index,
            ShardSource = shardSource,
            Host = Environment.MachineName,
            StartedUtc = started,
            Prompts = prompts,
            ReadPositions = setup.Metric.ReadPositions,
            CleanPerPrompt = setup.CleanPerPrompt,
            CorruptedPerPrompt = setup.CorruptedPerPrompt,
            Results = results,
            Attribution = attribution,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// A shard's fast engine takes the fixed budget cap rather than its machine's memory: every shard, wherever it runs,
    /// must cut the grid into the same batched forwards.
    /// </summary>
    private static readonly FastEngineOptions ShardBudget = new() { BatchMemoryMb = FastEngineOptions.MaxDefaultBatchMemoryMb };

    /// <summary>The engine and target sets, checked before any work (unknown names fail here).</summary>
    private static (PatchingEngine Engine, List<PatchTargetSet> Sets) Plan(StudyOptions study, PatchingOptions patching, bool sharded)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(patching);
        if (study.TaskPath is null) throw new IclException("icl analyze needs a task: pass --task FILE (tasks ship in data/tasks/).");
        var sets = patching.Targets.Select(PatchTargets.Find).ToList();
        PatchingEngine engine = patching.Engine switch
        {
            PatchEngineKind.Fast => new FastEngine(sharded ? ShardBudget : null),
            PatchEngineKind.Reference => new ReferenceEngine(),
            _ => throw new IclException($"Engine {OptionNames.Name(patching.Engine)} does not run a patching grid. Engines: fast, reference."),
        };
        return (engine, sets);
    }
}
