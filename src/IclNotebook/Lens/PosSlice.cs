using static TorchSharp.torch;

namespace IclNotebook.Lens;

/// <summary>
/// Which positions a residual-stream analysis reads (TransformerLens's <c>pos_slice</c>): every
/// position, one position for every prompt (negative counts from the end, so <c>At(-1)</c> is TL's
/// <c>pos_slice=-1</c>), or each prompt's own position (<see cref="PerPrompt"/>: a right-padded batch
/// read at each prompt's last real token). A single position drops the position axis, as TL's
/// integer slice does.
/// </summary>
public sealed record PosSlice
{
    private PosSlice(int? single, IReadOnlyList<int>? perPrompt) { Single = single; Each = perPrompt; }

    private int? Single { get; }
    private IReadOnlyList<int>? Each { get; }

    /// <summary>Every position (TL's <c>pos_slice=None</c>).</summary>
    public static PosSlice All { get; } = new(null, null);

    /// <summary>One position for every prompt; negative counts from the end.</summary>
    public static PosSlice At(int position) => new(position, null);

    /// <summary>Position <c>positions[b]</c> of prompt b (e.g. <c>tokens.LastPositions</c>).</summary>
    public static PosSlice PerPrompt(IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        return new(null, positions.ToArray());
    }

    /// <summary>The per-prompt positions of <see cref="PerPrompt"/>, else null.</summary>
    public IReadOnlyList<int>? Positions => Each;

    /// <summary>Whether the slice keeps the position axis.</summary>
    public bool KeepsPositions => Single is null && Each is null;

    /// <summary>
    /// Applies the slice to <paramref name="activation"/> [batch, pos, ...] along axis 1 (the
    /// caller's dispose scope owns the result).
    /// </summary>
    internal Tensor Apply(Tensor activation, string what)
    {
        long batch = activation.shape[0], n = activation.shape[1];
        if (Single is { } p)
        {
            long at = p < 0 ? n + p : p;
            if (at < 0 || at >= n) throw new IclException($"Position {p} is outside {what}'s {n} positions; use 0..{n - 1} or -1..-{n}.");
            return activation.select(1, at);                                          // [batch, ...]
        }
        if (Each is { } each)
        {
            if (each.Count != batch)
                throw new IclException($"{each.Count} positions were given for {batch} prompts in {what}; give one position per prompt.");
            var bad = each.Select((q, b) => (q, b)).FirstOrDefault(x => x.q < 0 || x.q >= n, (q: -1, b: -1));
            if (bad.b >= 0) throw new IclException($"Prompt {bad.b}'s position {bad.q} is outside {what}'s {n} positions.");
            var rows = arange(batch, device: activation.device);
            var cols = tensor(each.Select(q => (long)q).ToArray(), device: activation.device);
            return activation.index(new TensorIndex[] { TensorIndex.Tensor(rows), TensorIndex.Tensor(cols) }); // [batch, ...]
        }
        return activation;
    }
}
