using IclNotebook.Patching;
using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

public class HookTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private HookedTransformer Model => fixture.Get(WeightProcessing.Default);

    [Fact]
    public void A_hook_can_replace_an_activation_and_the_scope_removes_it()
    {
        using var tokens = ModelFixture.Tokens("clean");
        using var baseline = Model.Run(tokens);
        using (Model.Hooks((HookName.ResidPre(1), (act, _) => zeros_like(act))))
        {
            using var patched = Model.Run(tokens);
            Assert.False(patched.allclose(baseline));
        }
        Assert.All(Model.HookPoints.Values, hp => Assert.False(hp.HasHooks));
        using var after = Model.Run(tokens);
        Assert.True(after.allclose(baseline, rtol: 0, atol: 0));
    }

    [Fact]
    public void Hooks_see_the_value_a_previous_hook_returned()
    {
        using var tokens = ModelFixture.Tokens("clean");
        long seen = -1;
        using var logits = Model.RunWithHooks(tokens,
            (HookName.Z(0), (act, _) => ones_like(act)),
            (HookName.Z(0), (act, _) => { seen = (long)act.sum().item<float>(); return null; }));
        Assert.Equal(4L * 139 * 4 * 16, seen);
    }

    /// <summary>HookName is a table written by hand; every name it builds must be a hook point the model really has.</summary>
    [Fact]
    public void Every_name_HookName_builds_is_a_hook_point_of_the_model()
    {
        var points = Model.HookPoints;
        string[] fixedNames = [HookName.Embed, HookName.PosEmbed, HookName.FinalScale, HookName.FinalNormalized];
        Func<int, string>[] perLayer =
        [
            HookName.ResidPre, HookName.ResidMid, HookName.ResidPost, HookName.AttnOut, HookName.MlpOut, HookName.Q, HookName.K,
            HookName.V, HookName.Z, HookName.AttnScores, HookName.Pattern, HookName.MlpPre, HookName.MlpPost,
            HookName.Ln1Scale, HookName.Ln1Normalized, HookName.Ln2Scale, HookName.Ln2Normalized,
        ];
        string[] activations = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "q", "k", "v", "z", "attn_scores", "pattern", "pre", "post"];
        var built = fixedNames
            .Concat(Enumerable.Range(0, Model.Config.NLayers).SelectMany(l => perLayer.Select(f => f(l)).Concat(activations.Select(a => HookName.Block(a, l)))))
            .ToList();
        Assert.All(built, name => Assert.True(points.ContainsKey(name), $"HookName builds '{name}', which the model does not have"));
        // And the table covers every hook point: 4 outside the blocks, 17 in each block.
        Assert.Equal(points.Keys.Order(StringComparer.Ordinal), built.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_segment_forward_from_a_cached_residual_equals_the_full_forward()
    {
        using var tokens = ModelFixture.Tokens("corrupted");
        using var full = Model.Run(tokens);                                                   // [4, 139, d_vocab]
        var (logits, cache) = Model.RunWithCache(tokens, n => n == HookName.ResidPre(1));
        using var _ = logits;
        using var __ = cache;
        Assert.Equal([4L, 139, 64], cache[HookName.ResidPre(1)].shape);                       // entering block 1
        using var every = arange(139L).unsqueeze(0).expand(4, -1);                          // read every position
        using var noGrad = no_grad();
        using var resumed = SegmentForward.Run(Model, cache[HookName.ResidPre(1)], 1, _ => null, every);
        Assert.True(resumed.allclose(full, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Bad_hook_names_and_shapes_give_clear_errors()
    {
        using var tokens = ModelFixture.Tokens("clean");
        var unknown = Assert.Throws<IclException>(() => Model.Hooks(("blocks.0.hook_resid", (a, _) => null)));
        Assert.Contains("Unknown hook 'blocks.0.hook_resid'", unknown.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<IclException>(() => Model.RunWithHooks(tokens, (HookName.Q(0), (a, _) => a[.., ..1])));
        Assert.Contains("blocks.0.attn.hook_q", shape.Message, StringComparison.Ordinal);
        Assert.All(Model.HookPoints.Values, hp => Assert.False(hp.HasHooks));
    }

    [Fact]
    public void Text_longer_than_the_context_is_refused()
    {
        using var tokens = zeros(1, Model.Config.NCtx + 1, dtype: ScalarType.Int64);
        var e = Assert.Throws<IclException>(() => Model.Run(tokens));
        Assert.Contains($"longer than tiny-gpt2-a's context of {Model.Config.NCtx} tokens", e.Message, StringComparison.Ordinal);
    }
}

public class MlpTests
{
    [Fact]
    public void Fused_gelu_new_equals_the_written_out_formula()
    {
        TorchSharp.torch.manual_seed(3);
        using var x = 4 * TorchSharp.torch.randn(10_000);
        using var fused = IclNotebook.Model.Mlp.GeluNew(x);
        using var formula = IclNotebook.Model.Mlp.GeluNewReference(x);
        TensorAssert.Close(formula, fused, 2e-6, "fused GELU and its formula");
    }
}
