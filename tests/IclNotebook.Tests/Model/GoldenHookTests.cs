using System.Text.Json;
using IclNotebook.Model;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>
/// Every hook TransformerLens caches in <c>run_with_cache</c> on the clean fixture batch, compared
/// with TL's own numbers (tests/fixtures/goldens) for both weight processings.
/// <para>Tolerances. Samples and slices: 1e-4 absolute, the product's fidelity promise. Sums and
/// sums of squares are over up to ~1.4M elements, computed by TL with torch 1.13/OpenBLAS and here
/// with libtorch 2.10, which round float32 differently (accumulation order, fused kernels):
/// per-element differences are a few float32 ulps (unit roundoff 6e-8) amplified through two
/// layers, so we allow a mean relative deviation of 1e-5 (~170 ulps): |sum - tl| &lt;= 1e-5 *
/// sum|x| and |sumsq - tl| &lt;= 2e-5 * sumsq (squaring doubles relative error). A real mistake
/// (a missing bias, a wrong transpose, an off-by-one mask) moves these by whole percent.</para>
/// </summary>
public class GoldenHookTests(ModelFixture fixture, ITestOutputHelper output) : IClassFixture<ModelFixture>
{
    [Theory]
    [InlineData("processed")]
    [InlineData("raw")]
    public void Every_cached_hook_matches_TransformerLens(string processing)
    {
        var golden = Fixtures.Json(Fixtures.Golden(processing));
        var model = fixture.Get(ModelFixture.Parse(processing));
        using var tokens = ModelFixture.Tokens("clean");
        var (logits, cache) = model.RunWithCache(tokens);
        using var _ = cache;
        logits.Dispose();

        var (worstSum, worstSumSq, worstSample) = HookGoldens.AssertCacheMatches(golden, cache);
        output.WriteLine($"{processing}: worst sum deviation {worstSum:F3} of tolerance, sumsq {worstSumSq:F3}, worst sample |diff| {worstSample:E2}");
    }

    [Fact]
    public void Layer0_pattern_block_matches_in_full()
    {
        var golden = Fixtures.Json(Fixtures.Golden("processed"));
        var expected = golden.GetProperty("blocks.0.attn.hook_pattern[0,:,10,:11]").EnumerateArray().Select(Fixtures.Doubles).ToArray();
        var model = fixture.Get(WeightProcessing.Default);
        using var tokens = ModelFixture.Tokens("clean");
        var (logits, cache) = model.RunWithCache(tokens, n => n == "blocks.0.attn.hook_pattern");
        using var _ = cache;
        logits.Dispose();
        Assert.Single(cache.Names);
        using var block = cache["blocks.0.attn.hook_pattern"][0, .., 10, ..11].to(float64);
        for (int h = 0; h < expected.Length; h++)
            for (int k = 0; k < expected[h].Length; k++)
                HookGoldens.AssertClose("pattern", $"[0,{h},10,{k}]", expected[h][k], block[h, k].item<double>());
    }
}
