using IclNotebook.Model;
using IclNotebook.Statistics;

namespace IclNotebook.Accuracy;

/// <summary>One shot count's scores: every prompt's, and their means with bootstrap intervals.</summary>
/// <param name="Shots">Demonstrations shown before each query (0: the query line alone).</param>
/// <param name="Accuracy">First-token top-1 accuracy over the full vocabulary.</param>
/// <param name="FirstTokenLogProb">Mean log P(first answer token), nats.</param>
/// <param name="AnswerLogProb">Mean log P(whole answer), teacher-forced, nats.</param>
/// <param name="Prompts">Every prompt's scores, in query order.</param>
public sealed record ShotsScore(int Shots, Interval Accuracy, Interval FirstTokenLogProb, Interval AnswerLogProb, IReadOnlyList<AnswerScore> Prompts);

/// <summary>
/// In-context accuracy against the number of demonstrations (<c>icl accuracy</c>): the same queries at every shot count,
/// each shown the first k of its own demonstrations, so the curve compares like with like.
/// </summary>
public sealed record AccuracyResult(
    string ModelName,
    string Revision,
    WeightProcessing Processing,
    ModelDType DType,
    string TaskName,
    string TaskPath,
    Icl.Datasets.DatasetOrigin? Origin,
    IReadOnlyList<string> Queries,
    IReadOnlyList<string> Answers,
    IReadOnlyList<int> AnswerTokenCounts,
    IReadOnlyList<ShotsScore> Rows,
    Bootstrap Bootstrap,
    double Seconds)
{
    /// <summary>What is measured, for results and reports.</summary>
    public string Definition =>
        "For each shot count k, every query is shown the first k of its own demonstrations (k = 0: the query line alone, the " +
        "zero-shot baseline) and its answer is teacher-forced after the prompt. Accuracy: the answer's first token is the " +
        "argmax over the full vocabulary at the prompt's last token (Function Vectors' first-token convention; answers of " +
        "several tokens are common). First-token log-prob: log P(that token). Answer log-prob: the sum of log P over every " +
        $"answer token. Intervals: {Bootstrap.Level:P0} percentile bootstrap over prompts ({Bootstrap.Resamples} resamples, seed {Bootstrap.Seed}).";
}
