using IclNotebook.Patching;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// Both engines reproduce TransformerLens's <c>get_act_patch_*</c> outputs for the original
/// notebook's computation (colab-exact) to 1e-4, normalised and in nats.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public class EngineGoldenTests(PatchingFixture fixture) : IClassFixture<PatchingFixture>
{
    private const double Tol = 1e-4;

    [Theory]
    [InlineData("processed")]
    [InlineData("raw")]
    public void Baselines_match_the_notebook_metric(string processing)
    {
        var setup = fixture.GoldenSetup(processing);
        var metric = Fixtures.Json(Fixtures.Golden(processing)).GetProperty("metric");
        Assert.Equal(metric.GetProperty("clean_baseline").GetDouble(), setup.CleanBaseline, Tol);
        Assert.Equal(metric.GetProperty("corrupted_baseline").GetDouble(), setup.CorruptedBaseline, Tol);
    }

    internal static PatchingEngine Engine(string name) => name == "fast" ? new FastEngine() : new ReferenceEngine();

    [Theory]
    [InlineData("reference", "processed", "resid_pre")]
    [InlineData("reference", "raw", "resid_pre")]
    [InlineData("reference", "processed", "attn_head_all_pos_every")]
    [InlineData("reference", "raw", "attn_head_all_pos_every")]
    [InlineData("fast", "processed", "resid_pre")]
    [InlineData("fast", "raw", "resid_pre")]
    [InlineData("fast", "processed", "attn_head_all_pos_every")]
    [InlineData("fast", "raw", "attn_head_all_pos_every")]
    public void Normalised_and_unnormalised_results_match(string engine, string processing, string target)
    {
        var result = Engine(engine).Run(fixture.GoldenSetup(processing), PatchTargets.Find(target));
        AssertMatches(PatchingFixture.Golden(processing, "patching_unnormalised", target), result, result.Values);
        AssertMatches(PatchingFixture.Golden(processing, "patching_normalised", target), result, result.Normalised);
    }

    [Theory]
    [InlineData("reference", "attn_out")]
    [InlineData("reference", "mlp_out")]
    [InlineData("reference", "attn_head_out_by_pos")]
    [InlineData("fast", "attn_out")]
    [InlineData("fast", "mlp_out")]
    [InlineData("fast", "attn_head_out_by_pos")]
    [InlineData("fast", "block_every")]
    public void Other_targets_match(string engine, string target)
    {
        var result = Engine(engine).Run(fixture.GoldenSetup("processed"), PatchTargets.Find(target));
        AssertMatches(PatchingFixture.Golden("processed", "patching_unnormalised", target), result, result.Values);
    }

    internal static void AssertMatches((long[] Shape, double[] Values) golden, PatchResult result, IReadOnlyList<double> values)
    {
        Assert.Equal(golden.Shape, result.Shape);
        TensorAssert.Close(golden.Values, values, Tol, $"{result.Target}: TL (expected) and ours (actual), by flat index,");
    }
}
