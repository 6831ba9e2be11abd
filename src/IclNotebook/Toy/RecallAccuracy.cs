using IclNotebook.Icl;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Toy;

/// <summary>
/// How a model does on associative-recall sequences it was never trained on, measured through the
/// kit's own prompts (<see cref="IclTask.BuildPrompts"/>, the tokens an analysis sees): with the
/// demonstrations as given, and with their labels swapped by the task's corruption.
/// </summary>
/// <param name="Sequences">Sequences measured.</param>
/// <param name="Accuracy">Share whose top next token (over the whole vocabulary) is the answer.</param>
/// <param name="Loss">Mean cross-entropy of the answer (nats).</param>
/// <param name="CorruptedFollows">
/// With the demonstrations' labels swapped: share whose top token is the swapped label (the model
/// reads the context, so it is wrong on purpose).
/// </param>
/// <param name="CorruptedAccuracy">With the labels swapped: share still giving the clean answer.</param>
public sealed record RecallAccuracy(int Sequences, double Accuracy, double Loss, double CorruptedFollows, double CorruptedAccuracy)
{
    /// <summary>
    /// Measures <paramref name="model"/> on <paramref name="count"/> sequences of <paramref name="task"/>
    /// with seeds from <paramref name="firstSeed"/>.
    /// </summary>
    public static RecallAccuracy Measure(HookedTransformer model, AssociativeRecall task, int count,
            ulong firstSeed = ToyTrainingOptions.HeldOutSeeds, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        if (count < 1) throw new IclException($"Measuring recall accuracy needs at least one sequence; got {count}.");
        int right = 0, follows = 0, stays = 0;
        double loss = 0;
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var sequences = task.Sequences(n, firstSeed + (ulong)start);
            var prompts = sequences.Select(s => s.BuildPrompts(model.Tokenizer)).ToArray();
            var answers = prompts.Select(p => (long)p.AnswerTokenIds[0]).ToArray();
            // The corruption maps each label to the next: the swapped answer is the answer's image.
            var swapped = sequences.Select((s, i) => (long)model.Tokenizer.AnswerToken(prompts[i].CorruptedPrompts[0],
                s.FormatAnswer(s.Corruption.Apply([s.Queries[0].Label])[0]))).ToArray();
            using var scope = NewDisposeScope();
            var (clean, cleanLast) = Batch(prompts.Select(p => p.CleanTokens.Ids[0]));
            var (corrupted, corruptedLast) = Batch(prompts.Select(p => p.CorruptedTokens.Ids[0]));
            var logits = model.Run(clean, new ForwardOptions { UnembedPositions = cleanLast });
            var top = logits.argmax(-1).data<long>().ToArray();
            var logProbs = logits.log_softmax(-1).gather(1, tensor(answers).view(-1, 1)).data<float>().ToArray();
            var corruptedTop = model.Run(corrupted, new ForwardOptions { UnembedPositions = corruptedLast }).argmax(-1).data<long>().ToArray();
            for (int i = 0; i < n; i++)
            {
                if (top[i] == answers[i]) right++;
                if (corruptedTop[i] == swapped[i]) follows++;
                if (corruptedTop[i] == answers[i]) stays++;
                loss -= logProbs[i];
            }
        }
        return new RecallAccuracy(count, (double)right / count, loss / count, (double)follows / count, (double)stays / count);
    }

    /// <summary>Prompts as a padded [batch, pos] tensor and each one's last position.</summary>
    private static (Tensor Tokens, Tensor Last) Batch(IEnumerable<int[]> ids)
    {
        var rows = ids.ToArray();
        int width = rows.Max(r => r.Length);
        var flat = new long[rows.Length * width];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) flat[i * width + j] = rows[i][j];
        return (tensor(flat, [rows.Length, width]), tensor(rows.Select(r => (long)r.Length - 1).ToArray()));
    }
}
