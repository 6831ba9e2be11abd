using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// Attention on a segment continuing a prefix whose keys and values are given (batch 1 = one prefix
/// shared by every row, attended to without a copy per row), under a causal or packed-row mask, with
/// queries at every segment position or at a few. Built from the model's own attention steps
/// (<see cref="Attention.Project"/>, <see cref="Attention.Pattern"/>, ...), so its hooks fire: q/k/v/z
/// [batch, seg, head, d_head], scores/pattern [batch, head, seg, t0 + seg]. With no prefix, no mask and
/// every query, it is the model's forward.
/// </summary>
internal static class SegmentAttention
{
    /// <param name="attn">the block's attention</param>
    /// <param name="x">normalised residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">the prefix's keys (rotated) and values [batch or 1, t0, kv_head, d_head], or null</param>
    /// <param name="mask">which keys each query may not see</param>
    /// <param name="positions">each segment token's position, int64 [batch, seg], for the rotation; null = t0, t0 + 1, ...</param>
    /// <param name="queriesAt">segment-relative positions whose outputs are wanted, int64 [batch, n], or null for every
    /// position; the q, rot_q, scores, pattern and z hooks then see only those queries.</param>
    /// <returns>attention output [batch, seg (or n), d_model]</returns>
    public static Tensor Forward(Attention attn, Tensor x, (Tensor K, Tensor V)? past, SegmentMask mask, Tensor? positions, Tensor? queriesAt)
    {
        long batch = x.shape[0], seg = x.shape[1], t0 = past is var (pk, _) ? pk.shape[1] : 0;
        if (attn.IsRotary || attn.Window is not null)
            positions ??= arange(t0, t0 + seg, dtype: int64, device: x.device).unsqueeze(0).expand(batch, -1); // [batch, seg]
        var (q, k, v) = queriesAt is null                                 // q [batch, seg or n, head, d_head]; k, v [batch, seg, kv_head, d_head]
            ? attn.Project(x, positions, x, positions)
            : attn.Project(Rows(x, queriesAt), positions?.gather(1, queriesAt), x, positions);
        if (past is var (cachedK, cachedV)) past = (Attention.Core(cachedK), Attention.Core(cachedV)); // the clean run's, through their hooks
        bool shared = past is var (sharedK, _) && sharedK.shape[0] == 1 && batch > 1;
        if (past is var (pastK, pastV) && !shared)
        {
            k = cat([pastK, k], 1);                                       // [batch, t0 + seg, kv_head, d_head]
            v = cat([pastV, v], 1);
        }
        k = attn.PerQueryHead(k, 2);                                      // [batch, (t0 +) seg, head, d_head]
        v = attn.PerQueryHead(v, 2);
        if (attn.Fusable && !mask.HidesWholeRow)                          // a hidden row would be NaN where TL has zeros
        {
            if (shared)
            {
                k = cat([attn.PerQueryHead(past!.Value.K, 2).expand(batch, -1, -1, -1), k], 1); // [batch, t0 + seg, head, d_head]
                v = cat([attn.PerQueryHead(past!.Value.V, 2).expand(batch, -1, -1, -1), v], 1);
            }
            bool causal = mask.Blocked is null && queriesAt is null && t0 == 0 && attn.Window is null; // the kernel's own causal mask
            using var attend = causal ? null : Hidden(attn, mask, t0, seg, queriesAt, x.device, positions).logical_not(); // true = may attend
            return attn.OutputFrom(Attention.Fused(q, k, v, attend));
        }

        var scores = attn.Scale(shared                                    // [batch, head, seg or n, t0 + seg]
            ? SharedPrefixScores(attn, q, k, past!.Value.K)
            : q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)));
        var hidden = Hidden(attn, mask, t0, seg, queriesAt, x.device, positions); // [seg, t0 + seg] or [batch, 1, n, t0 + seg]
        scores.masked_fill_(hidden, HeldScalars.Of(double.NegativeInfinity));
        var pattern = attn.Pattern(scores, mask.HidesWholeRow);
        var z = shared ? SharedPrefixValues(attn, pattern, v, past!.Value.V) : Attention.Mix(pattern, v); // [batch, seg or n, head, d_head]
        return attn.OutputFrom(z);
    }

    /// <summary>The keys hidden from each query: the mask's, and on a local layer those a window or more back.</summary>
    private static Tensor Hidden(Attention attn, SegmentMask mask, long t0, long seg, Tensor? queriesAt, Device device, Tensor? positions) =>
        attn.Window is { } window ? mask.Hidden(t0, seg, queriesAt, device, window, positions!) : mask.Hidden(t0, seg, queriesAt, device);

    /// <summary>Rows <paramref name="at"/> [batch, n] of <paramref name="x"/> [batch, seg, d] -> [batch, n, d].</summary>
    public static Tensor Rows(Tensor x, Tensor at) => x.gather(1, at.unsqueeze(-1).expand(-1, -1, x.shape[2]));

    /// <summary>
    /// Scores when every row continues one shared prefix: the prefix part is one GEMM per head over all
    /// rows' queries, [batch*seg, d_head] x [d_head, t0], instead of a copy of the prefix's keys per row.
    /// </summary>
    /// <param name="attn">the attention</param>
    /// <param name="q">[batch, seg, head, d_head]</param>
    /// <param name="k">the segment's keys per query head [batch, seg, head, d_head]</param>
    /// <param name="pastK">the prefix's keys [1, t0, kv_head, d_head]</param>
    /// <returns>unscaled q·k [batch, head, seg, t0 + seg]</returns>
    private static Tensor SharedPrefixScores(Attention attn, Tensor q, Tensor k, Tensor pastK)
    {
        long batch = q.shape[0], seg = q.shape[1], heads = q.shape[2], dHead = q.shape[3], t0 = pastK.shape[1];
        var pk = attn.PerQueryHead(pastK[0], 1);                          // [t0, head, d_head]
        var qh = q.permute(2, 0, 1, 3).reshape(heads, batch * seg, dHead); // [head, batch*seg, d_head]
        var prefix = qh.matmul(pk.permute(1, 2, 0))                       // [head, batch*seg, t0]
            .reshape(heads, batch, seg, t0).permute(1, 0, 2, 3);          // [batch, head, seg, t0]
        var own = q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1));    // [batch, head, seg, seg]
        return cat([prefix, own], -1);
    }

    /// <summary>z for a shared prefix: the prefix's values mixed by one GEMM per head, plus the segment's own.</summary>
    /// <param name="attn">the attention</param>
    /// <param name="pattern">[batch, head, seg, t0 + seg]</param>
    /// <param name="v">the segment's values per query head [batch, seg, head, d_head]</param>
    /// <param name="pastV">the prefix's values [1, t0, kv_head, d_head]</param>
    /// <returns>[batch, seg, head, d_head]</returns>
    private static Tensor SharedPrefixValues(Attention attn, Tensor pattern, Tensor v, Tensor pastV)
    {
        long batch = pattern.shape[0], heads = pattern.shape[1], seg = pattern.shape[2], t0 = pastV.shape[1];
        pattern = Precision.To(pattern, v.dtype);                         // softmax in float32, mixing in the values' dtype
        var pv = attn.PerQueryHead(pastV[0], 1);                          // [t0, head, d_head]
        var prefix = pattern[.., .., .., ..(int)t0].permute(1, 0, 2, 3).reshape(heads, batch * seg, t0)
            .matmul(pv.permute(1, 0, 2))                                  // [head, batch*seg, d_head]
            .reshape(heads, batch, seg, -1).permute(1, 2, 0, 3);          // [batch, seg, head, d_head]
        var own = pattern[.., .., .., (int)t0..].matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3); // [batch, seg, head, d_head]
        return prefix.Plus(own);
    }
}
