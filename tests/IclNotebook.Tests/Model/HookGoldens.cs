using System.Text.Json;
using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>
/// The comparison of a run's activation cache with TransformerLens's cached hooks (a golden file's
/// <c>cache</c> and <c>cache_hook_names_in_order</c>), shared by every model's golden test.
/// <para>Tolerances. Samples and slices: 1e-4 absolute, the product's fidelity promise. Sums and
/// sums of squares are over up to ~1.4M elements, computed by TL with torch 1.13/OpenBLAS and here
/// with libtorch 2.10, which round float32 differently (accumulation order, fused kernels):
/// per-element differences are a few float32 ulps (unit roundoff 6e-8) amplified through two
/// layers, so we allow a mean relative deviation of 1e-5 (~170 ulps): |sum - tl| &lt;= 1e-5 *
/// sum|x| and |sumsq - tl| &lt;= 2e-5 * sumsq (squaring doubles relative error). A real mistake
/// (a missing bias, a wrong transpose, an off-by-one mask) moves these by whole percent.</para>
/// </summary>
internal static class HookGoldens
{
    public const double SampleTol = 1e-4;
    private const double SumRelTol = 1e-5;
    private const double SumSqRelTol = 2e-5;

    /// <summary>Names in TL's order, shapes, non-finite counts, sums, sums of squares, mean |x|, samples and slices; returns the worst deviations seen.</summary>
    public static (double WorstSum, double WorstSumSq, double WorstSample) AssertCacheMatches(JsonElement golden, ActivationCache cache)
    {
        var expectedNames = golden.GetProperty("cache_hook_names_in_order").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(expectedNames, cache.Names);

        double worstSum = 0, worstSumSq = 0, worstSample = 0;
        foreach (var name in expectedNames)
        {
            var g = golden.GetProperty("cache").GetProperty(name);
            var act = cache[name];
            var expectedShape = g.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.True(expectedShape.SequenceEqual(act.shape), $"{name}: shape [{string.Join(",", act.shape)}], TL [{string.Join(",", expectedShape)}]");

            using var x = act.to(float64);
            using var finite = x.isfinite();
            using var xf = x.masked_select(finite);
            Assert.Equal(g.GetProperty("n_nonfinite").GetInt64(), x.numel() - xf.numel());
            double sum = xf.sum().item<double>(), sumAbs = xf.abs().sum().item<double>(), sumSq = xf.pow(2).sum().item<double>();
            double tlSum = g.GetProperty("sum").GetDouble(), tlSumSq = g.GetProperty("sumsq").GetDouble();
            double sumRatio = Math.Abs(sum - tlSum) / (SumRelTol * Math.Max(sumAbs, 1e-30));
            double sumSqRatio = Math.Abs(sumSq - tlSumSq) / (SumSqRelTol * Math.Max(tlSumSq, 1e-30));
            Assert.True(sumRatio <= 1, $"{name}: sum {sum} vs TL {tlSum} (|x| total {sumAbs})");
            Assert.True(sumSqRatio <= 1, $"{name}: sumsq {sumSq} vs TL {tlSumSq}");
            Assert.Equal(g.GetProperty("mean_abs").GetDouble(), sumAbs / xf.numel(), 1e-4);
            worstSum = Math.Max(worstSum, sumRatio);
            worstSumSq = Math.Max(worstSumSq, sumSqRatio);

            foreach (var s in g.GetProperty("samples").EnumerateArray())
            {
                var index = s.GetProperty("index").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                worstSample = Math.Max(worstSample, AssertClose(name, $"[{string.Join(",", index)}]", Fixtures.Number(s.GetProperty("value")), x[index.Select(i => TensorIndex.Single(i)).ToArray()].item<double>()));
            }
            var slice = g.GetProperty("slice_first8");
            var prefix = slice.GetProperty("index_prefix").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            using var flat = x[prefix[0], prefix[1]].flatten();
            var values = Fixtures.Doubles(slice.GetProperty("values"));
            for (int i = 0; i < values.Length; i++)
                worstSample = Math.Max(worstSample, AssertClose(name, $"slice {i}", values[i], flat[i].item<double>()));
        }
        return (worstSum, worstSumSq, worstSample);
    }

    public static double AssertClose(string name, string where, double expected, double actual)
    {
        if (double.IsInfinity(expected) || double.IsNaN(expected))
        {
            Assert.True(expected.Equals(actual), $"{name}{where}: {actual}, TL {expected}");
            return 0;
        }
        double diff = Math.Abs(expected - actual);
        Assert.True(diff <= SampleTol, $"{name}{where}: {actual}, TL {expected} (|diff| {diff:E2} > {SampleTol})");
        return diff;
    }
}
