using static TorchSharp.torch;

namespace IclNotebook.Tests;

/// <summary>
/// Assertions that two tensors (or lists of numbers) agree element by element within a tolerance. A failure
/// says where the largest difference is, by how much, the two values there, and how many elements are beyond
/// the tolerance. A NaN on either side counts as beyond any tolerance.
/// </summary>
internal static class TensorAssert
{
    /// <summary>The largest |actual - expected|, as a double (NaN if either holds a NaN where the other does not match).</summary>
    public static double MaxAbsDiff(Tensor expected, Tensor actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        using var scope = NewDisposeScope();
        return actual.to_type(ScalarType.Float64).sub(expected.to_type(ScalarType.Float64)).abs().max().item<double>();
    }

    /// <summary>The largest |x| over the tensor, as a double.</summary>
    public static double MaxAbs(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        return x.to_type(ScalarType.Float64).abs().max().item<double>();
    }

    /// <summary>
    /// Fails unless the shapes agree and every element has |actual - expected| &lt;= <paramref name="tolerance"/>
    /// + <paramref name="relative"/> · |expected|.
    /// </summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string what = "values", double relative = 0)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(expected.shape, actual.shape);
        if (expected.numel() == 0) return;
        using var scope = NewDisposeScope();
        var e = expected.detach().to_type(ScalarType.Float64).cpu().flatten();
        var a = actual.detach().to_type(ScalarType.Float64).cpu().flatten();
        var diff = a.sub(e).abs();
        var allowed = relative == 0 ? full_like(e, tolerance) : e.abs().mul(relative).add(tolerance);
        long beyond = diff.le(allowed).logical_not().sum().item<long>();
        if (beyond == 0) return;
        var excess = diff.sub(allowed);
        long at = where(excess.isnan(), full_like(excess, double.PositiveInfinity), excess).argmax().item<long>();
        Fail(what, Index(at, expected.shape), e[at].item<double>(), a[at].item<double>(), tolerance, relative, beyond, e.numel());
    }

    /// <summary>Fails unless every element has |x| &lt;= <paramref name="tolerance"/>.</summary>
    public static void Zero(Tensor actual, double tolerance, string what = "values")
    {
        ArgumentNullException.ThrowIfNull(actual);
        using var zero = zeros_like(actual);
        Close(zero, actual, tolerance, what);
    }

    /// <summary>Fails unless the counts agree and every element has |actual - expected| &lt;= <paramref name="tolerance"/>.</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance, string what = "values")
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} values, expected {expected.Count}");
        int at = -1, beyond = 0;
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (diff <= tolerance) continue;
            beyond++;
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;             // a NaN is the worst there is
            if (at < 0 || diff > worst) (at, worst) = (i, diff);
        }
        if (beyond > 0) Fail(what, $"[{at}]", expected[at], actual[at], tolerance, 0, beyond, expected.Count);
    }

    /// <summary><see cref="Close(IReadOnlyList{double}, IReadOnlyList{double}, double, string)"/> on single-precision values.</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<float> actual, double tolerance, string what = "values")
    {
        ArgumentNullException.ThrowIfNull(actual);
        Close(expected, actual.Select(x => (double)x).ToArray(), tolerance, what);
    }

    private static string Index(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return $"[{string.Join(", ", index)}]";
    }

    private static void Fail(string what, string where, double expected, double actual, double tolerance, double relative, long beyond, long count)
    {
        string allowed = relative == 0 ? $"{tolerance:E1}" : $"{tolerance:E1} + {relative:E1}·|expected|";
        Assert.Fail($"{what} differ by {Math.Abs(actual - expected):E2} at {where} (expected {expected:R}, actual {actual:R}); "
            + $"tolerance {allowed}, {beyond} of {count} values beyond it");
    }
}
