using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Progress;
using IclNotebook.Statistics;

namespace IclNotebook.Accuracy;

/// <summary>Measures a task's in-context accuracy at several shot counts (<see cref="AccuracyResult"/>).</summary>
public static class ShotsAccuracy
{
    /// <summary>
    /// Scores every query of <paramref name="task"/> at each of <paramref name="shots"/> (each at most the demonstrations
    /// every query has). <paramref name="bootstrap"/> defaults to 1000 resamples, 95 %, seed 0.
    /// </summary>
    public static IReadOnlyList<ShotsScore> Measure(HookedTransformer model, IclTask task, IReadOnlyList<int> shots, Bootstrap? bootstrap = null,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(shots);
        bootstrap ??= new Bootstrap();
        var tokenizer = model.Tokenizer;
        int n = task.Queries.Count;
        // Every text and answer first, so a bad shot count or answer fails before the first forward.
        var texts = shots.Select(k => Enumerable.Range(0, n).Select(q => task.PromptText(q, k)).ToArray()).ToArray();
        var answers = texts.Select(row => row.Select((text, q) => Answer(tokenizer, task, q, text)).ToArray()).ToArray();
        long total = (long)shots.Count * n, finished = 0;
        var rows = new List<ShotsScore>();
        for (int s = 0; s < shots.Count; s++)
        {
            var tokens = tokenizer.ToTokens(texts[s]);
            progress?.Report(new WorkProgress($"{shots[s]} shots", finished, total, WorkProgress.Prompts));
            long before = finished;
            var scores = AnswerScores.Score(model, tokens.Ids, answers[s], tokens.PadId,
                done => progress?.Report(new WorkProgress($"{shots[s]} shots", before + done, total, WorkProgress.Prompts)), ct);
            finished += n;
            rows.Add(new ShotsScore(shots[s],
                bootstrap.Mean(scores.Select(x => x.Top1 ? 1.0 : 0.0).ToArray()),
                bootstrap.Mean(scores.Select(x => x.FirstTokenLogProb).ToArray()),
                bootstrap.Mean(scores.Select(x => x.AnswerLogProb).ToArray()),
                scores));
        }
        return rows;
    }

    private static int[] Answer(Tokenization.ModelTokenizer tokenizer, IclTask task, int query, string prompt)
    {
        string answer = task.FormatAnswer(task.Queries[query].Label);
        try { return task.FirstTokenAnswers ? tokenizer.AnswerTokens(prompt, answer) : [tokenizer.AnswerToken(prompt, answer)]; }
        catch (IclException e) { throw new IclException($"Task '{task.Name}', query {query}: {e.Message}", e); }
    }
}
