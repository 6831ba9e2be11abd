using static TorchSharp.torch;

namespace IclNotebook.Model;

public sealed partial class HookedTransformer
{
    /// <summary>
    /// Runs blocks <paramref name="startLayer"/>.. on a segment of positions <c>t0..t0+seg</c> whose
    /// prefix (positions before t0) is unchanged from a cached run: each block attends to that run's
    /// keys and values for the prefix (<paramref name="past"/> gives them per layer, [batch, t0,
    /// head, d_head] each) and computes only the segment. Returns logits at one segment position
    /// positions per row (<paramref name="readPositions"/>: [batch, k], relative to t0) -> [batch, k, d_vocab].
    /// A segment may pack several prompts' continuations of one shared prefix into a row, with
    /// <paramref name="blocked"/> saying which keys each position may not attend to.
    /// Exact: causal attention means positions before t0 cannot see anything in the segment.
    /// Grad mode is the caller's.
    /// </summary>
    /// <param name="segmentResid">residual stream entering <paramref name="startLayer"/> for the segment [batch, seg, d_model]</param>
    /// <param name="startLayer">first block to run</param>
    /// <param name="past">prefix keys/values of layer l, or null when the segment starts at position 0</param>
    /// <param name="readPositions">int64 [batch, k], segment-relative positions to unembed</param>
    /// <param name="blocked">[seg, t0 + seg] bool attention mask (true = may not attend); null = causal</param>
    /// <param name="positions">each segment token's true position, int64 [batch, seg], for rotary models (a packed row
    /// holds several prompts' tokens); null = t0, t0 + 1, ...</param>
    public Tensor ForwardSegment(Tensor segmentResid, int startLayer, Func<int, (Tensor K, Tensor V)?> past, Tensor readPositions, Tensor? blocked = null, Tensor? positions = null)
    {
        ArgumentNullException.ThrowIfNull(segmentResid);
        ArgumentNullException.ThrowIfNull(past);
        ArgumentNullException.ThrowIfNull(readPositions);
        using var scope = NewDisposeScope();
        var resid = segmentResid;
        var reads = readPositions.to(Device);
        int last = Config.NLayers - 1;
        // The last block's output is read at the read positions only: past its keys and values it computes those
        // alone (queries, attention, MLP), unless a hook there wants the whole segment.
        bool fewAtLast = blocks[last].ComputesAtFewPositions;
        for (int l = startLayer; l < Config.NLayers; l++)
        {
            using var blockScope = NewDisposeScope();
            resid = blocks[l].Forward(resid, past(l), blocked, positions, l == last && fewAtLast ? reads : null).MoveToOuterDisposeScope();
        }
        var read = fewAtLast ? resid : Attention.Rows(resid, reads);         // [batch, k, d_model]
        return unembed.call(ln_final.call(read)).MoveToOuterDisposeScope();  // [batch, k, d_vocab]
    }
}
