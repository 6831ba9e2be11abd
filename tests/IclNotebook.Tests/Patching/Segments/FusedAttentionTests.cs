using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching.Segments;

/// <summary>
/// Where no hook reads the attention scores or pattern, attention runs through torch's fused
/// scaled_dot_product_attention; a no-op hook on every layer's hook_pattern forces the explicit
/// matmul-softmax-matmul of TL's definition. The two must give the same logits on each family's
/// shape: a whole prompt (the model's forward), a segment after a prefix per row or shared, a
/// packed-row mask, reads at a few positions, and a mask that hides every key from a query (TL's
/// zeroed row).
/// </summary>
public class FusedAttentionTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("neox")]
    [InlineData("llama")]
    [InlineData("qwen3")]
    [InlineData("gptj")]
    [InlineData("windowed")]
    [InlineData("olmo2")]
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
        TensorAssert.Close(explicitPath, fused, 1e-5, "logits");
    }

    [Theory]
    [InlineData("gpt2", false, false, false)]
    [InlineData("gpt2", true, true, false)]
    [InlineData("gpt2", true, false, true)]
    [InlineData("neox", true, true, false)]
    [InlineData("llama", false, true, true)]
    [InlineData("llama", true, false, false)]
    [InlineData("qwen3", true, true, false)]
    [InlineData("windowed", false, false, false)]
    [InlineData("windowed", true, true, false)]
    [InlineData("olmo2", true, true, false)]
    public void A_segment_gives_the_same_logits_fused_and_explicit(string family, bool sharedPrefix, bool packedMask, bool hiddenRow)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var segment = new SegmentCase(family, modelSeed: 5, dataSeed: 2, n: 12, t0: 5, rows: 3);
        int t0 = segment.T0;
        var read = tensor(new long[] { segment.Seg - 1, 0, 2, segment.Seg - 1, 3, 4 }, [segment.Rows, 2]);
        var blocked = packedMask || hiddenRow
            ? segment.Mask((i, j) => j - t0 > i || (packedMask && j >= t0 && (j - t0) % 2 != i % 2 && j - t0 > 0)
                || (hiddenRow && i == 2))                                   // segment query 2 sees no key at all
            : null;

        var fused = segment.Run(sharedPrefix, read, blocked);
        Tensor explicitPath;
        using (ExplicitAttention(segment.Model))
            explicitPath = segment.Run(sharedPrefix, read, blocked);
        Assert.False(fused.isnan().any().item<bool>(), "NaN logits");
        TensorAssert.Close(explicitPath, fused, 1e-5, "logits");
    }

    /// <summary>A no-op hook on every layer's pattern: the explicit path, which materialises it.</summary>
    private static HookScope ExplicitAttention(IclNotebook.Model.HookedTransformer model) =>
        model.Hooks(Enumerable.Range(0, model.Config.NLayers).Select(l => (HookName.Pattern(l), (HookFunction)((_, _) => null))).ToArray());
}
