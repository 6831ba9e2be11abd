using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// A matrix kept as the product of two factors, <c>A [..., m, k] @ B [..., k, n]</c>, as
/// TransformerLens's <c>FactoredMatrix</c>: the QK and OV circuits are rank-<c>d_head</c> products of
/// <c>d_model x d_model</c> matrices, cheap to hold and to reason about in factored form. Leading
/// dimensions (layer, head) broadcast. The factors are owned by this object; dispose it to free
/// them early (every tensor it returns is new and the caller's).
/// </summary>
public sealed class FactoredMatrix : IDisposable
{
    /// <param name="a">left factor [..., m, k] (taken over)</param>
    /// <param name="b">right factor [..., k, n] (taken over)</param>
    public FactoredMatrix(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.dim() < 2 || b.dim() < 2 || a.shape[^1] != b.shape[^2])
            throw new IclException("A factored matrix needs A [..., m, k] and B [..., k, n]; " +
                $"got A [{string.Join(", ", a.shape)}] and B [{string.Join(", ", b.shape)}].");
        A = a;
        B = b;
    }

    /// <summary>Left factor [..., m, k].</summary>
    public Tensor A { get; }

    /// <summary>Right factor [..., k, n].</summary>
    public Tensor B { get; }

    /// <summary>Shape of the product: leading dimensions, then m, n.</summary>
    public long[] Shape => [.. A.shape[..^2], A.shape[^2], B.shape[^1]];

    /// <summary>The product <c>A @ B</c>, materialised [..., m, n].</summary>
    public Tensor AB() => A.matmul(B);

    /// <summary>The reversed product <c>B @ A</c> [..., k, k] (defined when m == n): same non-zero eigenvalues as AB, far smaller.</summary>
    public Tensor BA()
    {
        if (A.shape[^2] != B.shape[^1])
            throw new IclException($"B @ A needs a square product; this one is {A.shape[^2]} x {B.shape[^1]}.");
        return B.matmul(A);
    }

    /// <summary>The transpose, <c>B^T @ A^T</c>, still factored.</summary>
    public FactoredMatrix T() => new(B.transpose(-2, -1).contiguous(), A.transpose(-2, -1).contiguous());

    /// <summary>Frobenius norm of the product [...], without materialising it: sqrt(sum((A^T A) * (B B^T))).</summary>
    public Tensor Norm()
    {
        using var scope = NewDisposeScope();
        var gramA = A.transpose(-2, -1).matmul(A);   // [..., k, k]
        var gramB = B.matmul(B.transpose(-2, -1));   // [..., k, k]
        return (gramA * gramB).sum([-2, -1]).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>Eigenvalues of the product (its non-zero ones, from <see cref="BA"/>), complex [..., k].</summary>
    public Tensor Eigenvalues()
    {
        using var scope = NewDisposeScope();
        return linalg.eigvals(BA()).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
