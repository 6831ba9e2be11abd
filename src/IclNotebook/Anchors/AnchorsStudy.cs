using System.Diagnostics;
using IclNotebook.Studies;
using IclNotebook.Progress;

namespace IclNotebook.Anchors;

/// <summary>What <c>icl anchors</c> found, with the run it belongs to.</summary>
public sealed record AnchorsRun(string ModelName, string Revision, string TaskName, string TaskPath, AnchorsResult Result, double Seconds);

/// <summary>
/// Runs <c>icl anchors</c>: loads the model (the checkpoint's own weights unless told otherwise) and task,
/// then <see cref="AnchorsAnalysis.Run(Model.HookedTransformer, Icl.IclTask, Icl.IclPromptSet)"/>.
/// </summary>
public static class AnchorsStudy
{
    public static async Task<AnchorsRun> RunAsync(StudyOptions study, IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        var clock = Stopwatch.StartNew();
        using var input = await StudyInput.LoadAsync(study, progress, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return Run(input, study, progress) with { Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>The study on an input already loaded (<see cref="StudyInput.OnLoaded"/>, as a sweep does).</summary>
    public static AnchorsRun Run(StudyInput input, StudyOptions study, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(study);
        var clock = Stopwatch.StartNew();
        var prompts = input.RequirePrompts("icl anchors");
        progress?.Report(WorkProgress.Stage("saliency"));
        var result = AnchorsAnalysis.Run(input.Model, input.Task!, prompts);
        return new AnchorsRun(input.Model.Config.Name, input.Revision, input.Task!.Name, Path.GetFullPath(study.TaskPath!), result,
            clock.Elapsed.TotalSeconds);
    }
}
