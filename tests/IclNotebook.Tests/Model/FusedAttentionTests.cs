using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>
/// Where no hook reads the attention scores or pattern, attention runs through torch's fused
/// scaled_dot_product_attention; a no-op hook on every layer's hook_pattern forces the explicit
/// matmul-softmax-matmul of TL's definition. The two must give the same logits on each family's
/// shape: a whole prompt, a segment after a prefix per row or shared, a packed-row mask, reads at
/// a few positions, and a mask that hides every key from a query (TL's zeroed row).
/// </summary>
public class FusedAttentionTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("neox")]
    [InlineData("llama")]
    public void A_whole_prompt_gives_the_same_logits_fused_and_explicit(string family)
    {
        using var model = RandomModels.Create(7, layers: 2, heads: 4, family);
        manual_seed(3);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(model.Config.DVocab, [3, 20], dtype: ScalarType.Int64);
        var fused = model.forward(tokens);
        Tensor explicitPath;
        using (ExplicitAttention(model))
            explicitPath = model.forward(tokens);
        AssertClose(explicitPath, fused);
    }

    [Theory]
    [InlineData("gpt2", false, false, false)]
    [InlineData("gpt2", true, true, false)]
    [InlineData("gpt2", true, false, true)]
    [InlineData("neox", true, true, false)]
    [InlineData("llama", false, true, true)]
    [InlineData("llama", true, false, false)]
    public void A_segment_gives_the_same_logits_fused_and_explicit(string family, bool sharedPrefix, bool packedMask, bool hiddenRow)
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
        var read = tensor(new long[] { seg - 1, 0, 2, seg - 1, 3, 4 }, [rows, 2]);
        var positions = cfg.IsRotary ? arange(t0, n, dtype: ScalarType.Int64).unsqueeze(0).expand(rows, -1) : null;
        Tensor? blocked = null;
        if (packedMask || hiddenRow)
        {
            var m = new bool[seg * n];
            for (int i = 0; i < seg; i++)
                for (int j = 0; j < n; j++)
                    m[i * n + j] = j - t0 > i || (packedMask && j >= t0 && (j - t0) % 2 != i % 2 && j - t0 > 0)
                        || (hiddenRow && i == 2);                  // segment query 2 sees no key at all
            blocked = tensor(m, [seg, n]);
        }
        (Tensor, Tensor)? Past(int l)
        {
            var k = cache[Keys(l)][.., ..t0];
            var v = cache[HookName.V(l)][.., ..t0];
            return sharedPrefix ? (k, v) : (k.repeat(rows, 1, 1, 1), v.repeat(rows, 1, 1, 1));
        }

        var fused = model.ForwardSegment(resid, 0, Past, read, blocked, positions);
        Tensor explicitPath;
        using (ExplicitAttention(model))
            explicitPath = model.ForwardSegment(resid, 0, Past, read, blocked, positions);
        Assert.False(fused.isnan().any().item<bool>(), "NaN logits");
        AssertClose(explicitPath, fused);
    }

    /// <summary>A no-op hook on every layer's pattern: the explicit path, which materialises it.</summary>
    private static IDisposable ExplicitAttention(IclNotebook.Model.HookedTransformer model) =>
        model.Hooks(Enumerable.Range(0, model.Config.NLayers).Select(l => (HookName.Pattern(l), (HookFunction)((_, _) => null))).ToArray());

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        float diff = actual.sub(expected).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"logits differ by {diff:E2}");
    }
}
