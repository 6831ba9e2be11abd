namespace IclNotebook.Loading;

/// <summary>
/// One tensor of a safetensors header, already validated: <see cref="End"/> - <see cref="Begin"/>
/// is <see cref="ElementCount"/> times the dtype size and the range lies inside the data section.
/// </summary>
/// <param name="Name">The state-dict key, e.g. <c>h.0.attn.c_attn.weight</c>.</param>
/// <param name="DType">The element type stored in the file.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
/// <param name="ElementCount">Product of <paramref name="Shape"/> (1 for a scalar).</param>
/// <param name="Begin">First byte, relative to the start of the data section (after the header).</param>
/// <param name="End">One past the last byte, relative to the start of the data section.</param>
public sealed record SafetensorsEntry(
    string Name,
    SafetensorsDType DType,
    IReadOnlyList<long> Shape,
    long ElementCount,
    long Begin,
    long End)
{
    /// <summary>Bytes the tensor occupies in the file.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Shape as <c>[50257, 64]</c>, for messages and notebooks.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
