namespace IclNotebook.Loading;

/// <summary>The element types <see cref="SafetensorsFile"/> reads; all are converted to float32.</summary>
public enum SafetensorsDType
{
    /// <summary>IEEE 754 binary32, the header string <c>"F32"</c>.</summary>
    F32,

    /// <summary>IEEE 754 binary16, the header string <c>"F16"</c>.</summary>
    F16,

    /// <summary>bfloat16 (the upper 16 bits of a float32), the header string <c>"BF16"</c>.</summary>
    BF16,
}

/// <summary>Header strings and element sizes of <see cref="SafetensorsDType"/>.</summary>
internal static class SafetensorsDTypes
{
    /// <summary>For error messages: the dtypes a header may name.</summary>
    internal const string Supported = "F32, F16, BF16";

    internal static bool TryParse(string text, out SafetensorsDType dtype)
    {
        // Ordinal and case-sensitive, like the reference implementation.
        switch (text)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            default: dtype = default; return false;
        }
    }

    internal static int ByteSize(this SafetensorsDType dtype) => dtype == SafetensorsDType.F32 ? 4 : 2;

    internal static string HeaderName(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.F16 => "F16",
        _ => "BF16",
    };
}
