using System.Diagnostics;
using IclNotebook.Progress;
using IclNotebook.Statistics;
using IclNotebook.Studies;

namespace IclNotebook.Accuracy;

/// <summary>Runs <c>icl accuracy</c>: loads the model and task, samples the largest shot count once, and scores every count.</summary>
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
        // A dataset task samples as many demonstrations as the largest count (at least one: a task has demonstrations);
        // every count then shows each query the first k of the same ones.
        var sampling = options with { Shots = Math.Max(1, shots.Max()) };
        using var input = await StudyInput.LoadAsync(IsDataset(options) ? sampling : options, patchingPrompts: false, progress, ct)
            .ConfigureAwait(false);
        return Run(input, options, shots, bootstrap, progress, ct) with { Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>
    /// The study on an input already loaded (<see cref="StudyInput.OnLoaded"/>, as a sweep does); a dataset task's
    /// queries need at least as many demonstrations as the largest shot count.
    /// </summary>
    public static AccuracyResult Run(StudyInput input, StudyOptions options, IReadOnlyList<int> shots, Bootstrap bootstrap,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var task = input.Task ?? throw new IclException("icl accuracy needs a task: pass --task FILE (a task file or a dataset's pairs file).");
        var model = input.Model;
        var rows = ShotsAccuracy.Measure(model, task, shots, bootstrap, progress, ct);
        var tokenizer = model.Tokenizer;
        var zeroShot = Enumerable.Range(0, task.Queries.Count).Select(q => task.FormatQuery(task.Queries[q])).ToArray();
        return new AccuracyResult(model.Config.Name, input.Revision, model.Processing, model.Config.DType, task.Name,
            Path.GetFullPath(options.TaskPath!), task.Origin, zeroShot,
            task.Queries.Select(q => task.FormatAnswer(q.Label)).ToArray(),
            rows[0].Prompts.Count > 0 ? task.Queries.Select((q, i) => AnswerLength(tokenizer, task, i)).ToArray() : [],
            rows, bootstrap, clock.Elapsed.TotalSeconds);
    }

    private static bool IsDataset(StudyOptions options) =>
        options.TaskPath is { } path && Icl.IclTask.Load(path).Origin is not null;

    private static int AnswerLength(Tokenization.ModelTokenizer tokenizer, Icl.IclTask task, int query)
    {
        string prompt = task.PromptText(query, 0);
        string answer = task.FormatAnswer(task.Queries[query].Label);
        return task.FirstTokenAnswers ? tokenizer.AnswerTokens(prompt, answer).Length : 1;
    }
}
