using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>A transformer block on a segment continuing a cached prefix (see <see cref="SegmentForward"/>).</summary>
internal static class SegmentBlock
{
    /// <param name="block">the block</param>
    /// <param name="x">residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">this block's prefix keys and values, or null</param>
    /// <param name="mask">the segment's attention mask</param>
    /// <param name="positions">the segment tokens' positions for rotary models, or null for t0, t0 + 1, ...</param>
    /// <param name="outputsAt">segment-relative positions whose output is wanted, int64 [batch, n]; null = all. Keys and
    /// values still come from the whole segment; every hook after them (q, scores, pattern, z, attn_out, resid_mid,
    /// ln2, mlp, resid_post) then sees only these positions (see <see cref="ComputesAtFewPositions"/>).</param>
    /// <returns>[batch, seg (or n), d_model]</returns>
    public static Tensor Forward(TransformerBlock block, Tensor x, (Tensor K, Tensor V)? past, SegmentMask mask, Tensor? positions, Tensor? outputsAt)
    {
        var residPre = block.ResidPre(x);
        var attention = SegmentAttention.Forward(block.Attn, block.Ln1(residPre), past, mask, positions, outputsAt); // [batch, seg or n, d_model]
        if (outputsAt is not null) residPre = SegmentAttention.Rows(residPre, outputsAt);
        return block.AfterAttention(residPre, attention);
    }

    /// <summary>
    /// Whether <paramref name="block"/> may compute its output at a few positions only without any hook
    /// noticing: no hook is attached after the keys and values (resid_pre, ln1 and k/v/rot_k may have hooks;
    /// they still see every position).
    /// </summary>
    public static bool ComputesAtFewPositions(TransformerBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var before = block.HooksBeforeQueries.ToHashSet();
        return !block.modules().OfType<HookPoint>().Any(h => h.HasHooks && !before.Contains(h));
    }
}
