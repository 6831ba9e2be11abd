using System.Diagnostics;
using IclNotebook.Progress;
using IclNotebook.Statistics;
using IclNotebook.Studies;

namespace IclNotebook.Accuracy;

/// <summary>
/// Runs <c>icl accuracy</c>: loads the model and task (a dataset task sampled again only if its prompts have fewer
/// demonstrations than the largest shot count), and scores every count on the same queries.
/// </summary>
public static class AccuracyStudy
{
    /// <summary>The shot counts <c>icl accuracy</c> measures by default.</summary>
    public static readonly IReadOnlyList<int> DefaultShots = [0, 1, 2, 4, 8];

    public static async Task<AccuracyResult> RunAsync(StudyOptions options, IReadOnlyList<int>? shots = null, Bootstrap? bootstrap = null,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        shots ??= DefaultShots;
        if (shots.Count == 0 || shots.Any(k => k < 0) || shots.Distinct().Count() != shots.Count)
            throw new IclException($"Shot counts must be distinct whole numbers of at least 0, e.g. 0,1,2,4,8 (got {string.Join(",", shots)}).");
        bootstrap ??= new Bootstrap();
        var clock = Stopwatch.StartNew();
        using var input = await StudyInput.LoadAsync(options, patchingPrompts: false, progress, ct).ConfigureAwait(false);
        return Run(input, options, shots, bootstrap, progress, ct) with { Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>
    /// The study on an input already loaded (<see cref="StudyInput.OnLoaded"/>, as a sweep does, whose other analyses then
    /// see the same prompts); a dataset task with too few demonstrations for the largest shot count is sampled again.
    /// </summary>
    public static AccuracyResult Run(StudyInput input, StudyOptions options, IReadOnlyList<int> shots, Bootstrap bootstrap,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var task = input.Task ?? throw new IclException("icl accuracy needs a task: pass --task FILE (a task file or a dataset's pairs file).");
        // Every count shows each query the first k of its own demonstrations; a dataset task sampled with fewer than the
        // largest count asks for is sampled again with that many.
        if (task.Origin is { } origin && shots.Count > 0 && shots.Max() > origin.Sampling.Shots)
            task = Icl.Datasets.DatasetTask.Resample(task, origin.Sampling with { Shots = shots.Max() });
        var model = input.Model;
        var rows = ShotsAccuracy.Measure(model, task, shots, bootstrap, progress, ct);
        var zeroShot = Enumerable.Range(0, task.Queries.Count).Select(q => task.FormatQuery(task.Queries[q])).ToArray();
        return new AccuracyResult(model.Config.Name, input.Revision, model.Processing, model.Config.DType, task.Name,
            Path.GetFullPath(options.TaskPath!), task.Origin, zeroShot,
            task.Queries.Select(q => task.FormatAnswer(q.Label)).ToArray(),
            rows[^1].Prompts.Select(p => p.AnswerTokens).ToArray(),
            rows, bootstrap, clock.Elapsed.TotalSeconds);
    }
}
