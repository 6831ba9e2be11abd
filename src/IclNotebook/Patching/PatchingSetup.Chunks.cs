namespace IclNotebook.Patching;

/// <summary>
/// Prompt chunks: the caches hold every prompt's activations, so a run over many prompts (hundreds of sampled prompts
/// of a dataset task) would grow with their number. The engines instead run consecutive chunks of prompts, each with
/// its own caches, and join each prompt's metric: every prompt's values are those of the whole batch (rows of a batch
/// never meet), and memory stays flat in the number of prompts.
/// </summary>
public sealed partial class PatchingSetup
{
    /// <summary>The default of <see cref="CacheMemoryMb"/>.</summary>
    public const double DefaultCacheMemoryMb = 1024;

    /// <summary>
    /// How much the clean and corrupted runs' cached activations may hold at once, MB (estimated: the residual stream,
    /// keys, values and one patched activation per layer, or attention patterns where those are larger). Prompts past
    /// it run in consecutive chunks (<see cref="PromptRanges"/>); 0 runs one prompt at a time.
    /// </summary>
    public double CacheMemoryMb { get; set; } = DefaultCacheMemoryMb;

    /// <summary>
    /// The runs of consecutive prompts the engines take one at a time: one run of every prompt when their caches fit
    /// <see cref="CacheMemoryMb"/>, else chunks of near-equal size that each fit (one prompt at least).
    /// </summary>
    /// <param name="weight">
    /// What a prompt holds during the run in multiples of its caches: 1 for the exact engines; attribution patching's
    /// gradient pass keeps the whole forward's activations for the backward (<see cref="AttributionPatching.ChunkWeight"/>).
    /// </param>
    public IReadOnlyList<(int Start, int Count)> PromptRanges(double weight = 1)
    {
        var cfg = Model.Config;
        int n = Clean.Count;
        if (n == 0) return [(0, 0)];
        double perPosition = 3.0 * cfg.DModel + Math.Max(cfg.DModel, (double)cfg.NHeads * NPos);
        double bytesPerPrompt = weight * 2.0 * cfg.NLayers * NPos * perPosition * sizeof(float);
        return Ranges(n, (int)Math.Clamp(CacheMemoryMb * 1024.0 * 1024.0 / bytesPerPrompt, 1, Math.Max(1, n)));
    }

    /// <summary><paramref name="prompts"/> cut into the fewest runs of at most <paramref name="perChunk"/>, of near-equal size.</summary>
    internal static IReadOnlyList<(int Start, int Count)> Ranges(int prompts, int perChunk)
    {
        int chunks = (prompts + perChunk - 1) / perChunk;
        var ranges = new List<(int, int)>();
        for (int c = 0, start = 0; c < chunks; c++)
        {
            int count = prompts / chunks + (c < prompts % chunks ? 1 : 0);
            ranges.Add((start, count));
            start += count;
        }
        return ranges;
    }

    /// <summary>
    /// Calls <paramref name="run"/> with each chunk of <see cref="PromptRanges"/> at <paramref name="weight"/> (this setup itself when one holds every
    /// prompt), its first prompt and its count; each chunk's caches are freed before the next.
    /// </summary>
    internal void InChunks(Action<PatchingSetup, int, int> run, double weight = 1)
    {
        var ranges = PromptRanges(weight);
        if (ranges.Count == 1)
        {
            run(this, 0, Clean.Count);
            return;
        }
        foreach (var (start, count) in ranges)
        {
            using (var chunk = Slice(start, count))
                run(chunk, start, count);
            Runtime.NativeHeap.Trim(); // the chunk's caches go back to the system, not into fragments the next chunk cannot reuse
        }
    }

    /// <summary>
    /// The setup of prompts <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 alone: the
    /// same width, positions, metric and baselines (not run again), with caches of its own. Dispose it.
    /// </summary>
    private PatchingSetup Slice(int start, int count) =>
        new(Model, Clean.Rows(start, count), Corrupted.Rows(start, count), Metric.Rows(start, count), Replay,
        CleanTokens.narrow(0, start, count), CorruptedTokens.narrow(0, start, count),
        CleanPerPrompt.Skip(start).Take(count).ToArray(), CorruptedPerPrompt.Skip(start).Take(count).ToArray(), PositionLabels.ToArray())
    {
        CacheMemoryMb = CacheMemoryMb,
    };
}
