using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// Attribution patching is a first-order approximation: checked against the exact result where it
/// must be exact (a linear patch site seen from a linear metric is not available in a transformer,
/// so we check what always holds) and against the exact engines for agreement.
/// </summary>
public class AttributionPatchingTests(PatchingFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PatchingFixture>
{
    [Fact]
    public void Shapes_labels_and_engine_name_match_the_exact_results_and_no_op_patches_give_the_baseline()
    {
        var setup = fixture.ColabExact("processed");
        var approx = AttributionPatching.Run(setup, [PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery, PatchTargets.AttnHeadByPosEvery]);
        var exact = new FastEngine().Run(setup, PatchTargets.ResidPre);
        Assert.Equal(exact.Shape, approx[0].Shape);
        Assert.Equal(exact.Labels, approx[0].Labels);
        Assert.Equal([5L, 2, 4], approx[1].Shape);
        Assert.Equal([5L, 2, 139, 4], approx[2].Shape);
        Assert.All(approx, r => Assert.Contains("approximate", r.Settings.Engine, StringComparison.Ordinal));
        // Where clean == corrupted (every position before the first changed demo label) the estimate is exactly the baseline.
        for (int pos = 0; pos < 20; pos++) Assert.Equal(setup.CorruptedBaseline, approx[0][0, pos]);
    }

    [Fact]
    public void Residual_attribution_tracks_the_exact_result()
    {
        var setup = fixture.ColabExact("processed");
        var approx = AttributionPatching.Run(setup, [PatchTargetSet.Of(PatchTargets.ResidPre)])[0];
        var exact = new FastEngine().Run(setup, PatchTargets.ResidPre);
        var (pearson, maxError) = AttributionPatching.Compare(approx, exact);
        output.WriteLine($"resid_pre attribution vs exact: Pearson {pearson:F3}, max |error| {maxError:E2} nats (exact range {exact.Values.Min():F4}..{exact.Values.Max():F4})");
        Assert.True(pearson > 0.5, $"Pearson {pearson}");
        Assert.True(maxError < 0.5, $"max error {maxError} nats");
    }

    [Fact]
    public void Gradient_is_taken_without_changing_the_model_or_leaving_hooks()
    {
        var setup = fixture.ColabExact("raw");
        using var before = setup.Model.Run(setup.CorruptedTokens);
        AttributionPatching.Run(setup, [PatchTargets.AttnHeadAllPosEvery]);
        Assert.All(setup.Model.HookPoints.Values, hp => Assert.False(hp.HasHooks));
        using var after = setup.Model.Run(setup.CorruptedTokens);
        Assert.True(after.allclose(before, rtol: 0, atol: 0));
        Assert.False(is_grad_enabled() && after.requires_grad);
    }
}
