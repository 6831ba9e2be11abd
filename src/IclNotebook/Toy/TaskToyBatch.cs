using IclNotebook.Icl;
using static TorchSharp.torch;

namespace IclNotebook.Toy;

/// <summary>
/// One training step of the task-vector toy: per row a task, its demonstrations and a dummy query (<see cref="Tokens"/>,
/// in the training vocabulary's local ids, every row the same length), the flat [row * pos] indices and labels the
/// in-context loss scores, and a fresh query of the same task alone (<see cref="Alone"/>, [rows, 3]) with its answer.
/// </summary>
internal sealed record TaskToyBatch(Tensor Tokens, Tensor Targets, Tensor Labels, Tensor Alone, Tensor AloneLabels) : IDisposable
{
    /// <summary>
    /// Step <paramref name="step"/>'s batch (SplitMix64 seeded by the options' seed and the step): the demonstration count
    /// and blank lines drawn per step, then per row a task, distinct demonstration pairs, a dummy query that repeats one of
    /// them with chance <see cref="TaskToyOptions.DummyRepeats"/> (else a fresh pair), and a fresh query for the zero-shot run.
    /// </summary>
    public static TaskToyBatch Draw(TaskToyOptions options, TaskToyTokens layout, TrainingVocabulary vocab, int step)
    {
        var draw = new SplitMix64(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        int demos = options.MinDemos + draw.NextInt(options.MaxDemos - options.MinDemos + 1);
        int blank = draw.NextInt(options.BlankLines + 1);
        int length = TaskToyTokens.Length(demos, blank), rows = options.BatchSize;
        var flat = new long[rows * length];
        var alone = new long[rows * 3];
        var targets = new List<long>();
        var labels = new List<long>();
        var aloneLabels = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            int k = draw.NextInt(layout.Names.Count);
            var order = Enumerable.Range(0, layout.Pairs(k)).ToArray();
            for (int j = 0; j < demos + 2; j++)                                   // a partial Fisher-Yates: demos + 2 distinct pairs
            {
                int swap = j + draw.NextInt(order.Length - j);
                (order[j], order[swap]) = (order[swap], order[j]);
            }
            bool repeat = draw.NextInt(1 << 20) < options.DummyRepeats * (1 << 20);
            int dummy = repeat ? order[draw.NextInt(demos)] : order[demos];
            int query = repeat ? order[demos] : order[demos + 1];
            var (tokens, sequenceTargets) = layout.Sequence(k, order.Take(demos).ToArray(), dummy, blank);
            for (int t = 0; t < length; t++) flat[i * length + t] = vocab.Local(tokens[t]);
            foreach (var (position, label) in sequenceTargets)
            {
                targets.Add((long)i * length + position);
                labels.Add(vocab.Local(label));
            }
            var zero = layout.QueryAlone(k, query);
            for (int t = 0; t < 3; t++) alone[i * 3 + t] = vocab.Local(zero[t]);
            aloneLabels[i] = vocab.Local(layout.Label(k, query));
        }
        return new TaskToyBatch(tensor(flat, [rows, length]), tensor(targets.ToArray()), tensor(labels.ToArray()),
            tensor(alone, [rows, 3]), tensor(aloneLabels));
    }

    public void Dispose()
    {
        Tokens.Dispose();
        Targets.Dispose();
        Labels.Dispose();
        Alone.Dispose();
        AloneLabels.Dispose();
    }
}
