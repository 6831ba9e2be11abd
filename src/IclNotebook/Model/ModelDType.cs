using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// The dtype a model's weights and matrix products run in (TransformerLens's <c>dtype</c>; <c>--dtype</c> by these names:
/// <c>float32</c>, <c>bfloat16</c>, <c>float16</c>). What stays in float32 inside a half-precision model is
/// <see cref="Precision"/>'s decision.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720",
    Justification = "The members are torch's dtype names, which --dtype and results.json use (float32, bfloat16, float16).")]
public enum ModelDType
{
    /// <summary>The default: what the TransformerLens goldens are checked at.</summary>
    Float32,

    /// <summary>Brain floating point: float32's range, 8 bits of mantissa; fast on CPUs with AVX512-BF16 or AMX and on GPUs.</summary>
    Bfloat16,

    /// <summary>IEEE half: 5 bits of exponent, 11 of mantissa; fast on GPUs, not on CPUs (refused there).</summary>
    Float16,
}

/// <summary>Conversions between <see cref="ModelDType"/> and torch's scalar types.</summary>
public static class ModelDTypes
{
    public static ScalarType ToScalarType(this ModelDType dtype) => dtype switch
    {
        ModelDType.Bfloat16 => ScalarType.BFloat16,
        ModelDType.Float16 => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>Whether the dtype is a half-precision one (bfloat16 or float16).</summary>
    public static bool IsHalf(this ModelDType dtype) => dtype != ModelDType.Float32;
}
