using IclNotebook.Accuracy;
using IclNotebook.ActivationPatching;
using IclNotebook.Anchors;
using IclNotebook.FunctionVectors;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Progress;
using IclNotebook.Statistics;
using IclNotebook.Studies;

namespace IclNotebook.Sweeps;

/// <summary>What a sweep did: the analyses it ran and skipped (already complete), and whether the summary could be written.</summary>
public sealed record SweepOutcome(string Folder, int Ran, int Skipped, int TasksHere, int Tasks, bool Summarised);

/// <summary>
/// Runs chosen analyses on many tasks with one model (<c>icl sweep</c>): one folder per task and analysis
/// (<c>DIR/TASK/ANALYSIS</c>, each written whole, as its own command writes it), and once every task is done a
/// cross-task summary (<c>DIR/summary</c>, <see cref="SweepSummary"/>). Resumable: an analysis whose folder exists is
/// not recomputed, and an interrupted one leaves no folder; <c>DIR/sweep.json</c> records the settings and a rerun with
/// other settings is refused. On a cluster each shard takes every N-th task (<see cref="PatchShard"/>); the run
/// without a shard afterwards finds everything done and writes the summary.
/// </summary>
public static class SweepStudy
{
    public static async Task<SweepOutcome> RunAsync(StudyOptions study, SweepOptions sweep, string folder, PatchShard shard, string toolVersion,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(shard);
        if (sweep.Analyses.Count == 0) throw new IclException("A sweep needs at least one analysis (--analyses accuracy,fv,patching,anchors).");
        Runtime.DTypeSpeed.Check(study.DType, study.Device ?? TorchSharp.torch.CPU);   // before the tasks, the tokenizer and any download
        var mine = sweep.Tasks.Where((_, i) => i % shard.Count == shard.Index).ToList();
        // Every task is read, sampled and (where an analysis needs the corrupted twins) tokenized before any weights load.
        progress?.Report(WorkProgress.Stage("tokenize"));
        var tokenizer = await ModelSource.LoadTokenizerAsync(study.Model, study.Hub, progress, ct).ConfigureAwait(false);
        bool twins = sweep.Analyses.Any(a => a != SweepAnalysis.Accuracy);
        var tasks = mine.Select(file =>
        {
            var task = IclTask.Load(file);
            if (task.Origin is not null) task = (study with { TaskPath = file }).Sampled(task);
            return (File: file, Task: task, Prompts: twins ? task.BuildPrompts(tokenizer, study.ReplayFor(task)) : null);
        }).ToList();
        SweepSettings.Claim(folder, study, sweep, toolVersion);

        var todo = tasks.SelectMany(t => sweep.Analyses.Select(a => (t.File, t.Task, t.Prompts, Analysis: a)))
            .Where(x => !Directory.Exists(AnalysisFolder(folder, x.File, x.Analysis))).ToList();
        int ran = 0, skipped = tasks.Count * sweep.Analyses.Count - todo.Count;
        HookedTransformer? model = null, raw = null;
        string revision = "";
        try
        {
            foreach (var (file, task, prompts, analysis) in todo)
            {
                ct.ThrowIfCancellationRequested();
                bool wantsRaw = analysis == SweepAnalysis.Anchors && study.Processing != WeightProcessing.Raw;
                if (wantsRaw && raw is null || !wantsRaw && model is null)
                {
                    progress?.Report(WorkProgress.Stage(wantsRaw ? "load model (raw weights, for anchors)" : "load model"));
                    var (loaded, _, rev) = await ModelSource.LoadWithSourceAsync(study.Model, wantsRaw ? WeightProcessing.Raw : study.Processing,
                        study.Device ?? TorchSharp.torch.CPU, study.Hub, progress, tokenizer, study.DType, ct).ConfigureAwait(false);
                    revision = rev;
                    if (wantsRaw) raw = loaded; else model = loaded;
                }
                progress?.Report(WorkProgress.Stage($"{SweepTasks.Name(file)}: {OptionNames.Name(analysis)} ({ran + 1} of {todo.Count})"));
                using var input = StudyInput.OnLoaded(wantsRaw ? raw! : model!, revision, task, prompts);
                Run(input, study with { TaskPath = file }, sweep, analysis, AnalysisFolder(folder, file, analysis), toolVersion, progress, ct);
                ran++;
            }
        }
        finally
        {
            model?.Dispose();
            raw?.Dispose();
        }
        bool complete = sweep.Tasks.All(f => sweep.Analyses.All(a => Directory.Exists(AnalysisFolder(folder, f, a))));
        if (complete) SweepSummary.Write(folder, sweep, toolVersion);
        return new SweepOutcome(Path.GetFullPath(folder), ran, skipped, mine.Count, sweep.Tasks.Count, complete);
    }

    /// <summary>Where a task's analysis is written: DIR/TASK/ANALYSIS.</summary>
    public static string AnalysisFolder(string folder, string taskFile, SweepAnalysis analysis) =>
        Path.Combine(folder, SweepTasks.Name(taskFile), OptionNames.Name(analysis));

    private static void Run(StudyInput input, StudyOptions study, SweepOptions sweep, SweepAnalysis analysis, string target, string toolVersion,
        IProgress<WorkProgress>? progress, CancellationToken ct)
    {
        switch (analysis)
        {
            case SweepAnalysis.Accuracy:
                int own = input.Task!.DemosOf(0).Count;
                var shots = (sweep.AccuracyShots ?? [0, 1, 2, 4, 8, own]).Where(k => k <= own).Distinct().Order().ToArray();
                AccuracyReport.Write(AccuracyStudy.Run(input, study, shots, new Bootstrap(), progress, ct), target, false, toolVersion);
                break;
            case SweepAnalysis.Fv:
                FunctionVectorReport.Write(FunctionVectorStudy.Run(input, study, sweep.FunctionVectors, progress), target, false, toolVersion);
                break;
            case SweepAnalysis.Patching:
                PatchingStudyOutput.Write(PatchingStudy.Run(input, study, sweep.Patching, progress, ct), target, false, toolVersion);
                break;
            case SweepAnalysis.Anchors:
                AnchorsReport.Write(AnchorsStudy.Run(input, study, progress), target, false, toolVersion);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(analysis), analysis, "Unknown sweep analysis.");
        }
    }
}
