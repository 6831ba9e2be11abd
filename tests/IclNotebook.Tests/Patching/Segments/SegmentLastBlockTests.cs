using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching.Segments;

/// <summary>
/// A segment's last block computes its queries, attention output and MLP at the read positions only
/// (keys and values still at every position): the logits must equal those of the whole block, which a
/// hook after the keys and values (here a no-op on hook_z) forces, on each family's shape, with a
/// prefix per row or shared, causal or with a packed-row mask, and reads that differ by row.
/// </summary>
public class SegmentLastBlockTests
{
    [Theory]
    [InlineData("gpt2", false, false)]
    [InlineData("gpt2", true, true)]
    [InlineData("neox", true, false)]
    [InlineData("llama", false, true)]
    [InlineData("llama", true, false)]
    public void The_last_block_at_the_read_positions_equals_the_whole_block(string family, bool sharedPrefix, bool packedMask)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var segment = new SegmentCase(family, modelSeed: 5, dataSeed: 2, n: 12, t0: 5, rows: 3);
        int t0 = segment.T0;
        var read = tensor(new long[] { segment.Seg - 1, 0, 2, segment.Seg - 1, 3, 4 }, [segment.Rows, 2]); // two reads per row, in any order
        // A packed row's mask: segment query i may not see segment keys 1..i-1 of another "prompt" (odd/even positions here).
        var blocked = packedMask ? segment.Mask((i, j) => j >= t0 && (j - t0 > i || ((j - t0) % 2 != i % 2 && j - t0 > 0))) : null;

        var last = $"blocks.{segment.Model.Config.NLayers - 1}.attn.hook_z";
        var few = segment.Run(sharedPrefix, read, blocked);
        Tensor whole;
        using (segment.Model.Hooks((last, (_, _) => null)))
            whole = segment.Run(sharedPrefix, read, blocked);
        TensorAssert.Close(whole, few, 1e-5, "logits");                                      // [rows, 2, d_vocab]
    }

    [Fact]
    public void Only_hooks_up_to_the_keys_and_values_leave_the_last_block_free_to_skip_positions()
    {
        using var model = RandomModels.Create(5, layers: 2, heads: 4, "llama");
        var block = model.modules().OfType<IclNotebook.Model.TransformerBlock>().Last();
        Assert.True(SegmentBlock.ComputesAtFewPositions(block));
        foreach (var hook in new[] { "blocks.1.hook_resid_pre", "blocks.1.ln1.hook_normalized", "blocks.1.attn.hook_k", "blocks.1.attn.hook_v", "blocks.1.attn.hook_rot_k", "blocks.0.hook_mlp_out" })
            using (model.Hooks((hook, (_, _) => null)))
                Assert.True(SegmentBlock.ComputesAtFewPositions(block), hook);
        foreach (var hook in new[] { "blocks.1.attn.hook_q", "blocks.1.attn.hook_rot_q", "blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z", "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid", "blocks.1.ln2.hook_scale", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post" })
            using (model.Hooks((hook, (_, _) => null)))
                Assert.False(SegmentBlock.ComputesAtFewPositions(block), hook);
    }
}
