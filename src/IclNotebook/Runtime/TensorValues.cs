using static TorchSharp.torch;

namespace IclNotebook.Runtime;

/// <summary>Tensors to managed values (float64), for results that leave the library's dispose scopes.</summary>
internal static class TensorValues
{
    /// <summary>Every value, row-major.</summary>
    public static double[] Flat(Tensor t) => t.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();

    /// <summary>A [rows, cols] tensor as rows.</summary>
    public static double[][] Rows(Tensor t)
    {
        if (t.dim() != 2) throw new InvalidOperationException($"Expected a 2-d tensor, got [{string.Join(", ", t.shape)}].");
        var flat = Flat(t);
        int cols = (int)t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(r => flat.AsSpan(r * cols, cols).ToArray()).ToArray();
    }
}
