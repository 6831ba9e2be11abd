using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>
/// A prefix given once (batch 1) for every row of a segment is attended to through one GEMM per head
/// instead of a copy per row: the logits and the attention pattern must equal those of the same prefix repeated
/// for each row, on each family's shape (learned positions, rotary + parallel, rotary + GQA).
/// </summary>
public class SharedPrefixTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("neox")]
    [InlineData("llama")]
    public void A_shared_prefix_equals_the_prefix_repeated_for_every_row(string family)
    {
        using var model = RandomModels.Create(4, layers: 2, heads: 4, family);
        var cfg = model.Config;
        int n = 12, t0 = 9, seg = n - t0, rows = 5;
        manual_seed(1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(cfg.DVocab, [1, n], dtype: ScalarType.Int64);
        var (_, cache) = model.RunWithCache(tokens);
        using var _ = cache;
        string Keys(int l) => cfg.IsRotary ? HookName.RotK(l) : HookName.K(l);
        // Different continuations per row: the cached segment plus row-specific noise.
        var resid = cache[HookName.ResidPre(0)][.., t0..].expand(rows, -1, -1).add(randn(rows, seg, cfg.DModel).mul(0.3));
        var read = arange(seg, dtype: ScalarType.Int64).unsqueeze(0).expand(rows, -1);
        var positions = cfg.IsRotary ? arange(t0, n, dtype: ScalarType.Int64).unsqueeze(0).expand(rows, -1) : null;

        (Tensor Logits, Tensor Pattern) Run(bool shared)
        {
            Tensor? pattern = null;
            (Tensor, Tensor)? Past(int l)
            {
                var k = cache[Keys(l)][.., ..t0];                                       // [1, t0, kv_head, d_head]
                var v = cache[HookName.V(l)][.., ..t0];
                return shared ? (k, v) : (k.repeat(rows, 1, 1, 1), v.repeat(rows, 1, 1, 1));
            }
            using var hooks = model.Hooks((HookName.Pattern(1), (act, _) => { pattern = act.clone().DetachFromDisposeScope(); return null; })); // outlives the block's scope
            return (model.ForwardSegment(resid, 0, Past, read, positions: positions), pattern!);
        }
        var (repeated, repeatedPattern) = Run(shared: false);
        var (sharedLogits, sharedPattern) = Run(shared: true);
        Assert.Equal(repeatedPattern.shape, sharedPattern.shape);                      // [rows, head, seg, t0 + seg]
        Assert.True(sharedLogits.sub(repeated).abs().max().item<float>() <= 1e-5, "logits differ");
        float patternDiff = sharedPattern.sub(repeatedPattern).abs().max().item<float>();
        Assert.True(patternDiff <= 1e-5, $"patterns differ by {patternDiff:E2}");
    }
}
