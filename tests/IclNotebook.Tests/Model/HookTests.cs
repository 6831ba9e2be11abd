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

    [Fact]
    public void Starting_from_a_cached_residual_and_stopping_early_compose_to_the_full_forward()
    {
        using var tokens = ModelFixture.Tokens("corrupted");
        using var full = Model.Run(tokens);
        using var resid1 = Model.Run(tokens, new ForwardOptions { StopLayer = 1 });          // entering block 1
        Assert.Equal([4L, 139, 64], resid1.shape);
        using var resumed = Model.Run(tokens, new ForwardOptions { StartLayer = 1, StartResidual = resid1 });
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
        using var diff = (fused - formula).abs().max();
        Assert.True(diff.item<float>() < 2e-6f, $"max |fused - formula| = {diff.item<float>()}");
    }
}
