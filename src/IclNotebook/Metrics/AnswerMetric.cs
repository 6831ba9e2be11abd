using static TorchSharp.torch;

namespace IclNotebook.Metrics;

/// <summary>
/// The patching metric: the mean over prompts of log P(answer) at a read position per prompt
/// (nats), or of a logit difference (logits). Where it reads is a <see cref="MetricRead"/>: each
/// prompt's own last real token by default, or the padded batch's last column as the Colab did.
/// </summary>
/// <param name="ReadPositions">Position whose next-token distribution is read, per prompt.</param>
/// <param name="AnswerIds">Answer token id, per prompt.</param>
public sealed record AnswerMetric(IReadOnlyList<int> ReadPositions, IReadOnlyList<int> AnswerIds)
{
    /// <summary>
    /// When set, the metric is the logit difference <c>logit(answer) - logit(wrong answer)</c> per
    /// prompt instead of log P(answer). Default null (log-prob).
    /// </summary>
    public IReadOnlyList<int>? WrongAnswerIds { get; init; }

    /// <summary>How <see cref="ReadPositions"/> were chosen; null when the caller gave them.</summary>
    public MetricRead? Read { get; init; }

    /// <summary>The metric's unit: "nats" for the log-prob, "logits" for a logit difference.</summary>
    public MetricUnit Unit => WrongAnswerIds is null ? MetricUnit.Nats : MetricUnit.Logits;

    /// <summary>What the metric measures and where it reads, for results and reports.</summary>
    public string Description =>
        (WrongAnswerIds is null ? "mean log P(answer)" : "mean logit(answer) - logit(wrong answer)") + Read switch
        {
            MetricRead.LastToken => " at each prompt's last real token",
            MetricRead.LastColumn => " at the padded batch's last column (logits[:, -1])",
            _ => " at the given read positions",
        };

    /// <summary>The metric that reads as <paramref name="read"/> says, for prompts of these real lengths (right-padded to their maximum).</summary>
    public static AnswerMetric At(MetricRead read, IReadOnlyList<int> lengths, IReadOnlyList<int> answerIds)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        return read switch
        {
            MetricRead.LastToken => AtLastRealToken(lengths, answerIds),
            MetricRead.LastColumn => AtLastColumn(lengths.Max(), answerIds),
            _ => throw new ArgumentOutOfRangeException(nameof(read), read, "Unknown metric read."),
        };
    }

    /// <summary>Logit difference between each prompt's answer and a chosen wrong answer.</summary>
    public AnswerMetric WithWrongAnswers(IReadOnlyList<int> wrongAnswerIds)
    {
        ArgumentNullException.ThrowIfNull(wrongAnswerIds);
        if (wrongAnswerIds.Count != AnswerIds.Count)
            throw new IclException("The logit-difference metric needs one wrong answer per prompt: " +
                $"{AnswerIds.Count} prompts, {wrongAnswerIds.Count} wrong answers.");
        return this with { WrongAnswerIds = wrongAnswerIds };
    }
    /// <summary>The metric of prompts <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 alone.</summary>
    public AnswerMetric Rows(int start, int count) => this with
    {
        ReadPositions = ReadPositions.Skip(start).Take(count).ToArray(),
        AnswerIds = AnswerIds.Skip(start).Take(count).ToArray(),
        WrongAnswerIds = WrongAnswerIds?.Skip(start).Take(count).ToArray(),
    };

    /// <summary>Each prompt's last real token (<see cref="MetricRead.LastToken"/>, the default).</summary>
    public static AnswerMetric AtLastRealToken(IReadOnlyList<int> lengths, IReadOnlyList<int> answerIds)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        return new(lengths.Select(l => l - 1).ToArray(), answerIds) { Read = MetricRead.LastToken };
    }

    /// <summary>
    /// The original notebook's read of <c>logits[:, -1]</c> (<see cref="MetricRead.LastColumn"/>):
    /// the last column of the right-padded batch for every prompt, which for shorter prompts is a
    /// padding token, not the query's last token.
    /// </summary>
    public static AnswerMetric AtLastColumn(int paddedLength, IReadOnlyList<int> answerIds)
    {
        ArgumentNullException.ThrowIfNull(answerIds);
        return new(Enumerable.Repeat(paddedLength - 1, answerIds.Count).ToArray(), answerIds) { Read = MetricRead.LastColumn };
    }

    /// <summary>Read positions as an int64 tensor [batch] (for <c>ForwardOptions.UnembedPositions</c>).</summary>
    public Tensor PositionsTensor(Device device) =>
        tensor(ReadPositions.Select(p => (long)p).ToArray(), dtype: ScalarType.Int64, device: device);

    /// <summary>Per-prompt metric from logits already read at the positions, [batch, d_vocab] -> [batch].</summary>
    public Tensor PerPromptAtRead(Tensor readLogits) => PerRowAtRead(readLogits, 1);

    /// <summary>
    /// The metric for <paramref name="repeats"/> stacked copies of the batch ([repeats * batch,
    /// d_vocab], prompt order within each copy) -> [repeats * batch], float64.
    /// </summary>
    public Tensor PerRowAtRead(Tensor readLogits, int repeats)
    {
        ArgumentNullException.ThrowIfNull(readLogits);
        using var scope = NewDisposeScope();
        Tensor Ids(IReadOnlyList<int> ids)
        {
            var repeated = Enumerable.Range(0, repeats).SelectMany(_ => ids.Select(a => (long)a)).ToArray();
            return tensor(repeated, dtype: ScalarType.Int64, device: readLogits.device).view(-1, 1);        // [repeats * batch, 1]
        }
        var values = WrongAnswerIds is null
            ? readLogits.log_softmax(-1).gather(1, Ids(AnswerIds))
            : readLogits.gather(1, Ids(AnswerIds)) - readLogits.gather(1, Ids(WrongAnswerIds));
        return values.squeeze(1).to(float64).MoveToOuterDisposeScope();
    }

    /// <summary>Mean metric (in <see cref="Unit"/>) from logits read at the positions, [batch, d_vocab].</summary>
    public double EvaluateAtRead(Tensor readLogits)
    {
        using var perPrompt = PerPromptAtRead(readLogits);
        return perPrompt.mean().item<double>();
    }

    /// <summary>(m - corrupted) / (clean - corrupted): 0 = corrupted behaviour, 1 = clean behaviour.</summary>
    public static double Normalise(double metric, double clean, double corrupted) => (metric - corrupted) / (clean - corrupted);
}
