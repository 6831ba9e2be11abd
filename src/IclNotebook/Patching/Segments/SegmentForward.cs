using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// The fast engine's forward: blocks <c>startLayer..</c> on a segment of positions <c>t0..t0+seg</c>
/// whose prefix (the positions before t0) is unchanged from a cached run. Each block attends to that
/// run's keys and values for the prefix and computes only the segment; causal attention means the
/// prefix cannot see the segment, so the result is exact. A segment may pack several prompts'
/// continuations of one shared prefix into a row, with a mask saying which keys each position may
/// not see. Hooks fire as in the model's forward, on the segment's positions. Tested against the
/// plain model (tests/.../Patching/Segments).
/// </summary>
internal static class SegmentForward
{
    /// <summary>Logits at the read positions of each row, [batch, k, d_vocab]. Grad mode is the caller's.</summary>
    /// <param name="model">the model</param>
    /// <param name="segmentResid">residual stream entering <paramref name="startLayer"/> for the segment [batch, seg, d_model]</param>
    /// <param name="startLayer">first block to run</param>
    /// <param name="past">layer l's prefix keys (as attention uses them: rotated for rotary models) and values,
    /// [batch or 1, t0, kv_head, d_head] each (batch 1: one prefix shared by every row); null when the segment starts at 0</param>
    /// <param name="readPositions">int64 [batch, k], segment-relative positions to unembed</param>
    /// <param name="blocked">[seg, t0 + seg] bool, true = may not attend; null = causal</param>
    /// <param name="positions">each segment token's true position, int64 [batch, seg], for rotary models (a packed row
    /// holds several prompts' tokens); null = t0, t0 + 1, ...</param>
    public static Tensor Run(HookedTransformer model, Tensor segmentResid, int startLayer, Func<int, (Tensor K, Tensor V)?> past,
        Tensor readPositions, Tensor? blocked = null, Tensor? positions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(segmentResid);
        ArgumentNullException.ThrowIfNull(past);
        ArgumentNullException.ThrowIfNull(readPositions);
        using var scope = NewDisposeScope();
        var resid = segmentResid;
        var reads = readPositions.to(model.ModelDevice);
        var mask = new SegmentMask(blocked);
        int last = model.Config.NLayers - 1;
        // The last block's output is read at the read positions only: past its keys and values it computes those
        // alone (queries, attention, MLP), unless a hook there wants the whole segment.
        bool fewAtLast = SegmentBlock.ComputesAtFewPositions(model.Block(last));
        for (int l = startLayer; l <= last; l++)
        {
            using var blockScope = NewDisposeScope();
            var outputsAt = l == last && fewAtLast ? reads : null;
            resid = SegmentBlock.Forward(model.Block(l), resid, past(l), mask, positions, outputsAt).MoveToOuterDisposeScope();
        }
        var read = fewAtLast ? resid : SegmentAttention.Rows(resid, reads);  // [batch, k, d_model]
        return model.FinalNormAndUnembed(read).MoveToOuterDisposeScope();    // [batch, k, d_vocab]
    }
}
