namespace IclNotebook.Loading;

/// <summary>
/// The element types a safetensors header may name. <see cref="SafetensorsFile"/> reads the
/// floating-point ones as float32 (weights); the others (masks, counters: GPT-NeoX stores a BOOL
/// causal mask and an F32 scalar buffer beside its weights) are validated and can be skipped.
/// </summary>
public enum SafetensorsDType
{
    /// <summary>IEEE 754 binary32, the header string <c>"F32"</c>.</summary>
    F32,

    /// <summary>IEEE 754 binary16, the header string <c>"F16"</c>.</summary>
    F16,

    /// <summary>bfloat16 (the upper 16 bits of a float32), the header string <c>"BF16"</c>.</summary>
    BF16,

    /// <summary>IEEE 754 binary64 (stored, not read as weights).</summary>
    F64,

    /// <summary>One byte per boolean (stored, not read as weights).</summary>
    BOOL,

    /// <summary>Integers (stored, not read as weights).</summary>
    U8, I8, I16, U16, I32, U32, I64, U64,
}

/// <summary>Header strings and element sizes of <see cref="SafetensorsDType"/>.</summary>
internal static class SafetensorsDTypes
{
    /// <summary>For error messages: the dtypes read as weights.</summary>
    internal const string Readable = "F32, F16, BF16";

    /// <summary>For error messages: every dtype a header may name.</summary>
    internal const string Supported = "F32, F16, BF16, F64, BOOL, U8, I8, I16, U16, I32, U32, I64, U64";

    internal static bool TryParse(string text, out SafetensorsDType dtype)
    {
        // Ordinal and case-sensitive, like the reference implementation (the enum names are the header strings).
        dtype = default;
        return text.Length > 0 && char.IsAsciiLetterUpper(text[0]) && text.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c))
            && Enum.TryParse(text, ignoreCase: false, out dtype) && Enum.IsDefined(dtype);
    }

    /// <summary>Whether tensors of this dtype are read as float32 weights.</summary>
    internal static bool IsReadable(this SafetensorsDType dtype) => dtype is SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;

    internal static int ByteSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 or SafetensorsDType.U32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 or SafetensorsDType.U16 => 2,
        _ => 1,
    };

    internal static string HeaderName(this SafetensorsDType dtype) => dtype.ToString();
}
