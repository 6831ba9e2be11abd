using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Accuracy;

/// <summary>One prompt's answer, scored: the first token's top-1 and log-probability, and the whole answer's log-probability.</summary>
/// <param name="Top1">Whether the first answer token is the model's most likely next token over the full vocabulary.</param>
/// <param name="FirstTokenLogProb">log P(first answer token | prompt), nats.</param>
/// <param name="AnswerLogProb">log P(answer | prompt), teacher-forced: the sum over its tokens, nats.</param>
/// <param name="AnswerTokens">How many tokens the answer is after the prompt.</param>
public sealed record AnswerScore(bool Top1, double FirstTokenLogProb, double AnswerLogProb, int AnswerTokens);

/// <summary>
/// Scores answers teacher-forced: each prompt is run with its answer appended, and the logits are read at the prompt's
/// last token and at every answer token but the last, so one forward gives the first token's rank and the whole answer's
/// log-probability. Prompts go through in batches of at most <see cref="BatchTokens"/> padded tokens and
/// <see cref="BatchLogits"/> read logits, so memory stays flat however many prompts there are.
/// </summary>
internal static class AnswerScores
{
    /// <summary>The padded tokens one forward may hold (prompts per batch = this / the longest sequence).</summary>
    public const int BatchTokens = 4096;

    /// <summary>The float32 logits one batch may read (prompts x answer tokens x vocabulary): 128 MB.</summary>
    public const long BatchLogits = 1L << 25;

    public static AnswerScore[] Score(HookedTransformer model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> answers, int padId,
        Action<int>? done = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var scores = new AnswerScore[prompts.Count];
        int start = 0;
        while (start < prompts.Count)
        {
            ct.ThrowIfCancellationRequested();
            int longest = 0, reads = 0, count = 0;
            while (start + count < prompts.Count)
            {
                int length = prompts[start + count].Length + answers[start + count].Length - 1;
                int read = Math.Max(reads, answers[start + count].Length);
                if (count > 0 && (Math.Max(longest, length) * (count + 1) > BatchTokens ||
                    (long)read * (count + 1) * model.Config.DVocab > BatchLogits)) break;
                longest = Math.Max(longest, length);
                reads = read;
                count++;
            }
            ScoreBatch(model, prompts, answers, padId, start, count, longest, scores);
            start += count;
            done?.Invoke(start);
        }
        return scores;
    }

    private static void ScoreBatch(HookedTransformer model, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> answers, int padId,
        int start, int count, int longest, AnswerScore[] scores)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int reads = Enumerable.Range(start, count).Max(i => answers[i].Length);
        var tokens = new long[count, longest];
        var positions = new long[count, reads];
        var targets = new long[count, reads];
        for (int b = 0; b < count; b++)
        {
            int[] prompt = prompts[start + b], answer = answers[start + b];
            // The sequence is the prompt and every answer token but the last: the last is predicted, never read.
            var sequence = prompt.Concat(answer.Take(answer.Length - 1)).ToArray();
            for (int p = 0; p < longest; p++) tokens[b, p] = p < sequence.Length ? sequence[p] : padId;
            for (int j = 0; j < reads; j++)
            {
                int at = Math.Min(j, answer.Length - 1);                   // reads past a short answer repeat its last (masked below)
                positions[b, j] = prompt.Length - 1 + at;
                targets[b, j] = answer[at];
            }
        }
        var device = model.ModelDevice;
        var logits = model.Run(tensor(tokens, device: device), new ForwardOptions { UnembedPositions = tensor(positions, device: device) });
        var logProbs = logits.log_softmax(-1);                                                       // [count, reads, d_vocab], float32
        var picked = logProbs.gather(2, tensor(targets, device: device).unsqueeze(2)).squeeze(2).to(float64).cpu().data<double>().ToArray();
        var top = logits[.., 0].argmax(-1).cpu().data<long>().ToArray();
        for (int b = 0; b < count; b++)
        {
            var answer = answers[start + b];
            double whole = 0;
            for (int j = 0; j < answer.Length; j++) whole += picked[b * reads + j];
            scores[start + b] = new AnswerScore(top[b] == answer[0], picked[b * reads], whole, answer.Length);
        }
    }
}
