using static TorchSharp.torch;

namespace IclNotebook.Tests;

/// <summary>Assertions on tensors: the same shape and every element within a tolerance.</summary>
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

    /// <summary>Fails unless the shapes agree and every element differs by at most <paramref name="tolerance"/>; the message says by how much.</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string what = "values")
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(expected.shape, actual.shape);
        double diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= tolerance, $"{what} differ by {diff:E2} (tolerance {tolerance:E1})");
    }
}
