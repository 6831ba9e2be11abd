using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// Which (prompt, position) pairs the fast engine recomputes for one variant, and how they are laid
/// out in rows. Positions before <see cref="T0"/> are never recomputed (the corrupted run's keys
/// and values serve them). Unpacked: one row per prompt holding positions T0..n-1. Packed (when
/// all prompts share tokens up to <see cref="SharedEnd"/>, e.g. the same demonstrations): one row
/// holding the shared positions T0..SharedEnd-1 once, then every prompt's own positions
/// SharedEnd..n-1, with a mask so each prompt sees only the shared part and itself.
/// </summary>
internal sealed class SegmentLayout
{
    private SegmentLayout(int t0, int sharedEnd, int[][] prompt, int[][] pos)
    {
        T0 = t0;
        SharedEnd = sharedEnd;
        Prompt = prompt;
        Pos = pos;
    }

    /// <summary>First recomputed position.</summary>
    public int T0 { get; }

    /// <summary>Positions below this are identical across prompts (packed layouts); T0 when unpacked.</summary>
    public int SharedEnd { get; }

    /// <summary>Prompt of each flat position, per row.</summary>
    public int[][] Prompt { get; }

    /// <summary>Original position of each flat position, per row.</summary>
    public int[][] Pos { get; }

    public int Rows => Prompt.Length;

    public int Length => Prompt[0].Length;

    public bool Packed => SharedEnd > T0;

    /// <summary>
    /// Packed when the prompts share tokens beyond <paramref name="t0"/> and <paramref name="allowPacking"/>; else one row per prompt.
    /// </summary>
    public static SegmentLayout Create(int t0, int nPos, int prompts, int sharedPrefix, bool allowPacking)
    {
        if (Packs(t0, prompts, sharedPrefix, allowPacking))
        {
            var prompt = new List<int>();
            var pos = new List<int>();
            for (int p = t0; p < sharedPrefix; p++) { prompt.Add(0); pos.Add(p); }
            for (int b = 0; b < prompts; b++)
                for (int p = sharedPrefix; p < nPos; p++) { prompt.Add(b); pos.Add(p); }
            return new SegmentLayout(t0, sharedPrefix, [prompt.ToArray()], [pos.ToArray()]);
        }
        var rowsPrompt = Enumerable.Range(0, prompts).Select(b => Enumerable.Repeat(b, nPos - t0).ToArray()).ToArray();
        var rowsPos = Enumerable.Range(0, prompts).Select(_ => Enumerable.Range(t0, nPos - t0).ToArray()).ToArray();
        return new SegmentLayout(t0, t0, rowsPrompt, rowsPos);
    }

    /// <summary>Whether flat query i may attend to key j (j &lt; T0: the cached prefix; else flat key j - T0) in row r.</summary>
    public bool Visible(int r, int i, int j)
    {
        if (j < T0) return true;
        int k = j - T0;
        return Pos[r][k] <= Pos[r][i] && (Prompt[r][k] == Prompt[r][i] || Pos[r][k] < SharedEnd);
    }

    /// <summary>Attention mask [Length, T0 + Length], true = blocked (same for every row); null when plain causal suffices.</summary>
    public Tensor? Blocked(Device device)
    {
        if (!Packed) return null;
        var mask = new bool[Length * (T0 + Length)];
        for (int i = 0; i < Length; i++)
            for (int j = 0; j < T0 + Length; j++)
                mask[i * (T0 + Length) + j] = !Visible(0, i, j);
        return tensor(mask, [Length, T0 + Length], device: device);
    }

    /// <summary>Each flat position's original position, int64 [Rows, Length]: what a rotary model rotates a packed token by.</summary>
    public Tensor Positions(Device device) =>
        tensor(Pos.SelectMany(r => r).Select(p => (long)p).ToArray(), [Rows, Length], dtype: ScalarType.Int64, device: device);

    /// <summary>Flat positions (in any row) holding original position <paramref name="p"/>.</summary>
    public long[] FlatPositions(int p) => Enumerable.Range(0, Length).Where(i => Pos[0][i] == p).Select(i => (long)i).ToArray();

    /// <summary>(row, flat index) where prompt <paramref name="b"/>'s position <paramref name="p"/> (>= T0) lives.</summary>
    public (int Row, int Flat) Locate(int b, int p)
    {
        if (!Packed) return (b, p - T0);
        if (p < SharedEnd) return (0, p - T0);
        int own = Pos[0][^1] + 1 - SharedEnd; // positions each prompt has after the shared part
        return (0, (SharedEnd - T0) + b * own + (p - SharedEnd));
    }

    /// <summary>
    /// Positions 0..result-1 hold the same tokens in every clean prompt, and the same tokens in
    /// every corrupted prompt (the shared demonstrations), so their activations are shared too and
    /// a packed layout computes them once.
    /// </summary>
    public static int SharedPrefix(Tokenization.TokenBatch clean, Tokenization.TokenBatch corrupted)
    {
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(corrupted);
        return Math.Min(CommonPrefix(clean.Padded()), CommonPrefix(corrupted.Padded()));
    }

    private static int CommonPrefix(long[][] rows) =>
        rows.Length == 0 ? 0 : Enumerable.Range(0, rows[0].Length).TakeWhile(p => rows.All(r => r[p] == rows[0][p])).Count();

    /// <summary>Recomputed tokens per variant (rows x length) for a layout <see cref="Create"/> would make.</summary>
    public static long TokensPerVariant(int t0, int nPos, int prompts, int sharedPrefix, bool allowPacking) =>
        Packs(t0, prompts, sharedPrefix, allowPacking)
            ? (sharedPrefix - t0) + (long)prompts * (nPos - sharedPrefix)
            : (long)prompts * (nPos - t0);

    /// <summary>Whether a layout packs: several prompts sharing tokens beyond t0, packing allowed.</summary>
    private static bool Packs(int t0, int prompts, int sharedPrefix, bool allowPacking) => allowPacking && prompts > 1 && sharedPrefix > t0;

    /// <summary>An activation with layout [prompt, pos, ...] gathered into rows: [Rows, Length, ...].</summary>
    public Tensor Gather(Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var b = tensor(Prompt.SelectMany(r => r).Select(x => (long)x).ToArray(), device: activation.device);
        var p = tensor(Pos.SelectMany(r => r).Select(x => (long)x).ToArray(), device: activation.device);
        var flat = activation[TensorIndex.Tensor(b), TensorIndex.Tensor(p)];  // [Rows * Length, ...]
        return flat.view([Rows, Length, .. activation.shape[2..]]);
    }

    /// <summary>
    /// A pattern-shaped activation [prompt, head, q, k] gathered into this layout's rows,
    /// [Rows, head, Length, T0 + Length], with blocked entries zero (as softmax gives them).
    /// </summary>
    public Tensor GatherPattern(Tensor pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var rows = new List<Tensor>();
        for (int r = 0; r < Rows; r++)
        {
            var keys = Enumerable.Range(0, T0).Select(x => (long)x).Concat(Pos[r].Select(x => (long)x)).ToArray();
            var bq = tensor(Prompt[r].Select(x => (long)x).ToArray(), device: pattern.device).view(-1, 1);
            var pq = tensor(Pos[r].Select(x => (long)x).ToArray(), device: pattern.device).view(-1, 1);
            var pk = tensor(keys, device: pattern.device).view(1, -1);
            var headLast = pattern.permute(0, 2, 3, 1);                                                  // [prompt, q, k, head]
            var byQuery = headLast[TensorIndex.Tensor(bq), TensorIndex.Tensor(pq), TensorIndex.Tensor(pk)]; // [Length, T0+Length, head]
            rows.Add(byQuery.permute(2, 0, 1));                                                          // [head, Length, T0+Length]
        }
        var stacked = stack(rows);
        var blocked = Blocked(pattern.device);
        return blocked is null ? stacked : stacked.masked_fill(blocked, Runtime.HeldScalars.Of(0.0));
    }
}
