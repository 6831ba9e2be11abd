using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// Which keys each query of a segment may not see: causal (none given), or a packed row's own mask
/// <c>[seg, t0 + seg]</c> (true = may not attend). Whether some query sees no key at all (TL zeroes
/// those rows; the fused kernel would give NaN) is found once per segment forward, not per layer.
/// </summary>
internal sealed class SegmentMask
{
    public SegmentMask(Tensor? blocked)
    {
        Blocked = blocked;
        if (blocked is null) return;
        using var rows = blocked.all(-1);
        using var any = rows.any();
        HidesWholeRow = any.item<bool>();
    }

    /// <summary>The given mask, or null for causal.</summary>
    public Tensor? Blocked { get; }

    /// <summary>Whether some query may see no key at all.</summary>
    public bool HidesWholeRow { get; }

    /// <summary>
    /// The keys hidden from each query, [seg, t0 + seg] (causal: every key after the query), or for
    /// <paramref name="queriesAt"/> [batch, n] each row's queries', [batch, 1, n, t0 + seg].
    /// </summary>
    public Tensor Hidden(long t0, long seg, Tensor? queriesAt, Device device)
    {
        var hidden = Blocked ?? ones(seg, t0 + seg, dtype: ScalarType.Bool, device: device).triu(t0 + 1); // key after query
        return queriesAt is null ? hidden : hidden.index_select(0, queriesAt.flatten()).view(queriesAt.shape[0], 1, queriesAt.shape[1], t0 + seg);
    }

    /// <summary>
    /// <see cref="Hidden(long, long, Tensor?, Device)"/> on a local layer: also every key <paramref name="window"/> or more
    /// positions before its query, by the tokens' true positions (a packed row's columns are not its positions), the prefix
    /// holding positions 0..t0-1. [batch, 1, seg or n, t0 + seg].
    /// </summary>
    /// <param name="t0">the prefix's length</param>
    /// <param name="seg">the segment's length</param>
    /// <param name="queriesAt">segment-relative query positions [batch, n], or null for all</param>
    /// <param name="device">where the mask is made</param>
    /// <param name="window">the layer's window</param>
    /// <param name="positions">each segment token's position, int64 [batch, seg]</param>
    public Tensor Hidden(long t0, long seg, Tensor? queriesAt, Device device, int window, Tensor positions)
    {
        long batch = positions.shape[0];
        var keys = cat([arange(t0, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, -1), positions], 1); // [batch, t0 + seg]
        var queries = queriesAt is null ? positions : positions.gather(1, queriesAt);                                     // [batch, q]
        var far = queries.unsqueeze(2).sub(keys.unsqueeze(1)).ge(window).unsqueeze(1);                                     // [batch, 1, q, t0 + seg]
        return far.logical_or(Hidden(t0, seg, queriesAt, device));
    }
}
