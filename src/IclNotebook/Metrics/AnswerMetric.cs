using static TorchSharp.torch;

namespace IclNotebook.Metrics;

/// <summary>
/// The patching metric: the mean over prompts of log P(answer) at a read position per prompt
/// (nats). The default reads each prompt's own last real token; the Colab read
/// <c>logits[:, -1]</c> of the right-padded batch, a padding position for the shorter prompts
/// (see <see cref="ColabExact"/>).
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

    /// <summary>What the metric measures, for results and reports.</summary>
    public string Description => WrongAnswerIds is null ? "mean log P(answer)" : "mean logit(answer) - logit(wrong answer)";

    /// <summary>Logit difference between each prompt's answer and a chosen wrong answer.</summary>
    public AnswerMetric WithWrongAnswers(IReadOnlyList<int> wrongAnswerIds)
    {
        ArgumentNullException.ThrowIfNull(wrongAnswerIds);
        if (wrongAnswerIds.Count != AnswerIds.Count)
            throw new IclException($"The logit-difference metric needs one wrong answer per prompt: {AnswerIds.Count} prompts, {wrongAnswerIds.Count} wrong answers.");
        return this with { WrongAnswerIds = wrongAnswerIds };
    }
    /// <summary>Each prompt's last real token (corrected behaviour; the default).</summary>
    public static AnswerMetric AtLastRealToken(IReadOnlyList<int> lengths, IReadOnlyList<int> answerIds) =>
        new(lengths.Select(l => l - 1).ToArray(), answerIds);

    /// <summary>
    /// The original notebook's read of <c>logits[:, -1]</c>: the last column of the right-padded
    /// batch for every prompt, which for shorter prompts is a padding token, not "Sentiment:".
    /// Reproduces its numbers bit for bit; not a meaningful measurement for padded prompts.
    /// </summary>
    public static AnswerMetric ColabExact(int paddedLength, IReadOnlyList<int> answerIds) =>
        new(Enumerable.Repeat(paddedLength - 1, answerIds.Count).ToArray(), answerIds);

    /// <summary>Read positions as an int64 tensor [batch] (for <c>ForwardOptions.UnembedPositions</c>).</summary>
    public Tensor PositionsTensor(Device device) =>
        tensor(ReadPositions.Select(p => (long)p).ToArray(), dtype: ScalarType.Int64, device: device);

    /// <summary>Per-prompt log P(answer) from full logits [batch, pos, d_vocab] -> [batch] (float64).</summary>
    public Tensor PerPrompt(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        using var scope = NewDisposeScope();
        var index = PositionsTensor(logits.device).view(-1, 1, 1).expand(-1, 1, logits.shape[2]);
        return PerPromptAtRead(logits.gather(1, index).squeeze(1)).MoveToOuterDisposeScope();
    }

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
        Tensor Ids(IReadOnlyList<int> ids) =>
            tensor(Enumerable.Range(0, repeats).SelectMany(_ => ids.Select(a => (long)a)).ToArray(), dtype: ScalarType.Int64, device: readLogits.device).view(-1, 1);
        var values = WrongAnswerIds is null
            ? readLogits.log_softmax(-1).gather(1, Ids(AnswerIds))
            : readLogits.gather(1, Ids(AnswerIds)) - readLogits.gather(1, Ids(WrongAnswerIds));
        return values.squeeze(1).to(float64).MoveToOuterDisposeScope();
    }

    /// <summary>Mean metric (nats for log-probs) from full logits [batch, pos, d_vocab].</summary>
    public double Evaluate(Tensor logits)
    {
        using var perPrompt = PerPrompt(logits);
        return perPrompt.mean().item<double>();
    }

    /// <summary>Mean log P(answer) from logits read at the positions, [batch, d_vocab].</summary>
    public double EvaluateAtRead(Tensor readLogits)
    {
        using var perPrompt = PerPromptAtRead(readLogits);
        return perPrompt.mean().item<double>();
    }

    /// <summary>(m - corrupted) / (clean - corrupted): 0 = corrupted behaviour, 1 = clean behaviour.</summary>
    public static double Normalise(double metric, double clean, double corrupted) => (metric - corrupted) / (clean - corrupted);
}
