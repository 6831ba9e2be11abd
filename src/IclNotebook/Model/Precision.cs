using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// What runs in float32 inside a half-precision model, as torch's autocast decides for a CPU: the weights and the
/// matrix products are in the model's dtype; the residual stream and its sums, the norms' statistics, the attention
/// softmax and the unembedding are float32. In a float32 model every step here is the identity.
/// </summary>
internal static class Precision
{
    /// <summary>The residual stream's dtype, whatever the model's: what blocks add to it is summed in float32.</summary>
    public static readonly ScalarType Residual = ScalarType.Float32;

    /// <summary><paramref name="x"/> in the residual stream's dtype (the same tensor when it already is).</summary>
    public static Tensor ToResidual(Tensor x) => x.dtype == Residual ? x : x.to(Residual);

    /// <summary><paramref name="x"/> in <paramref name="dtype"/> (the same tensor when it already is).</summary>
    public static Tensor To(Tensor x, ScalarType dtype) => x.dtype == dtype ? x : x.to(dtype);
}
