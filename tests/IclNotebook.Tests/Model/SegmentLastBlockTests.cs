using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

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
        using var model = RandomModels.Create(5, layers: 2, heads: 4, family);
        var cfg = model.Config;
        int n = 12, t0 = 5, seg = n - t0, rows = 3;
        manual_seed(2);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(cfg.DVocab, [1, n], dtype: ScalarType.Int64);
        var (_, cache) = model.RunWithCache(tokens);
        using var _ = cache;
        string Keys(int l) => cfg.IsRotary ? HookName.RotK(l) : HookName.K(l);
        var resid = cache[HookName.ResidPre(0)][.., t0..].expand(rows, -1, -1).add(randn(rows, seg, cfg.DModel).mul(0.3));
        var read = tensor(new long[] { seg - 1, 0, 2, seg - 1, 3, 4 }, [rows, 2]);           // two reads per row, in any order
        var positions = cfg.IsRotary ? arange(t0, n, dtype: ScalarType.Int64).unsqueeze(0).expand(rows, -1) : null;
        // A packed row's mask: segment query i may not see segment keys 1..i-1 of another "prompt" (odd/even positions here).
        Tensor? blocked = null;
        if (packedMask)
        {
            var m = new bool[seg * n];
            for (int i = 0; i < seg; i++)
                for (int j = 0; j < n; j++)
                    m[i * n + j] = j >= t0 && (j - t0 > i || ((j - t0) % 2 != i % 2 && j - t0 > 0));
            blocked = tensor(m, [seg, n]);
        }
        (Tensor, Tensor)? Past(int l)
        {
            var k = cache[Keys(l)][.., ..t0];
            var v = cache[HookName.V(l)][.., ..t0];
            return sharedPrefix ? (k, v) : (k.repeat(rows, 1, 1, 1), v.repeat(rows, 1, 1, 1));
        }

        var last = $"blocks.{cfg.NLayers - 1}.attn.hook_z";
        var few = model.ForwardSegment(resid, 0, Past, read, blocked, positions);
        Tensor whole;
        using (model.Hooks((last, (_, _) => null)))
            whole = model.ForwardSegment(resid, 0, Past, read, blocked, positions);
        Assert.Equal(whole.shape, few.shape);                                                  // [rows, 2, d_vocab]
        float diff = few.sub(whole).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"logits differ by {diff:E2}");
    }

    [Fact]
    public void Only_hooks_up_to_the_keys_and_values_leave_the_last_block_free_to_skip_positions()
    {
        using var model = RandomModels.Create(5, layers: 2, heads: 4, "llama");
        var block = model.modules().OfType<IclNotebook.Model.TransformerBlock>().Last();
        Assert.True(block.ComputesAtFewPositions);
        foreach (var hook in new[] { "blocks.1.hook_resid_pre", "blocks.1.ln1.hook_normalized", "blocks.1.attn.hook_k", "blocks.1.attn.hook_v", "blocks.1.attn.hook_rot_k", "blocks.0.hook_mlp_out" })
            using (model.Hooks((hook, (_, _) => null)))
                Assert.True(block.ComputesAtFewPositions, hook);
        foreach (var hook in new[] { "blocks.1.attn.hook_q", "blocks.1.attn.hook_rot_q", "blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z", "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid", "blocks.1.ln2.hook_scale", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post" })
            using (model.Hooks((hook, (_, _) => null)))
                Assert.False(block.ComputesAtFewPositions, hook);
    }
}
