using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Unicode;

namespace IclNotebook.Loading;

/// <summary>
/// Validates the 8-byte length prefix and the JSON header of a safetensors file. Every failure is
/// an <see cref="IclException"/> naming the file (and the tensor, where there is one). Work and
/// memory are proportional to the header bytes actually present, never to a size the header
/// claims: sizes are only compared, with checked arithmetic, against the real data length.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>The largest header accepted, as in the reference implementation.</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    internal const string MetadataKey = "__metadata__";

    private const int MaxNameShown = 80;

    /// <summary>Checks the little-endian u64 header length against the file length.</summary>
    internal static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long fileLength, string path)
    {
        if (fileLength < 8 || prefix.Length < 8)
        {
            throw Fail(path, $"the file is {fileLength} bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file");
        }
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length == 0)
        {
            throw Fail(path, "the header length is 0; a safetensors header is at least '{}'");
        }
        if (length > MaxHeaderBytes)
        {
            throw Fail(path, $"the header length {length} exceeds the limit of {MaxHeaderBytes} bytes; " +
                "the file is corrupt or not a safetensors file");
        }
        if ((long)length > fileLength - 8)
        {
            throw Fail(path, $"the header length {length} runs past the end of the file ({fileLength} bytes); the file is truncated");
        }
        return (long)length;
    }

    /// <summary>Parses and validates the JSON header; <paramref name="dataLength"/> is the byte length after it.</summary>
    internal static (IReadOnlyDictionary<string, SafetensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata)
        Parse(ReadOnlyMemory<byte> json, long dataLength, string path)
    {
        if (!Utf8.IsValid(json.Span))
        {
            throw Fail(path, "the header is not valid UTF-8");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new IclException($"{path}: the header is not valid JSON ({e.Message}); the file is corrupt or not a safetensors file", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, $"the header is not a JSON object (found {Describe(root.ValueKind)})");
            }
            var tensors = new SortedDictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            IReadOnlyDictionary<string, string>? metadata = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (metadata is not null)
                    {
                        throw Fail(path, $"'{MetadataKey}' appears twice in the header");
                    }
                    metadata = ParseMetadata(property.Value, path);
                }
                else if (!tensors.TryAdd(property.Name, ParseEntry(property.Name, property.Value, dataLength, path)))
                {
                    throw Fail(path, $"tensor '{Show(property.Name)}' appears twice in the header");
                }
            }
            CheckNoOverlap(tensors.Values, path);
            return (new ReadOnlyDictionary<string, SafetensorsEntry>(tensors),
                    metadata ?? ReadOnlyDictionary<string, string>.Empty);
        }
    }

    private static ReadOnlyDictionary<string, string> ParseMetadata(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"'{MetadataKey}' must be a JSON object of strings, found {Describe(value.ValueKind)}");
        }
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(path, $"'{MetadataKey}' entry '{Show(item.Name)}' must be a string, found {Describe(item.Value.ValueKind)}");
            }
            metadata[item.Name] = item.Value.GetString()!;
        }
        return new ReadOnlyDictionary<string, string>(metadata);
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string path)
    {
        string where = $"tensor '{Show(name)}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"{where}: the entry must be a JSON object with dtype, shape and data_offsets, found {Describe(value.ValueKind)}");
        }
        var dtypeText = Require(value, "dtype", JsonValueKind.String, "a string such as \"F32\"", where, path).GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeText, out var dtype))
        {
            throw Fail(path, $"{where}: dtype '{Show(dtypeText)}' is not supported; supported dtypes are {SafetensorsDTypes.Supported} " +
                "(convert the checkpoint, e.g. with torch: tensor.float())");
        }

        var shapeJson = Require(value, "shape", JsonValueKind.Array, "an array of non-negative integers", where, path);
        var shape = new long[shapeJson.GetArrayLength()];
        int axis = 0;
        foreach (var dim in shapeJson.EnumerateArray())
        {
            shape[axis] = NonNegativeInteger(dim, $"{where}: shape dimension {axis}", path);
            axis++;
        }
        long count = ElementCount(shape, where, path);
        long bytes;
        try
        {
            bytes = checked(count * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw Fail(path, $"{where}: shape [{string.Join(", ", shape)}] of {dtype.HeaderName()} needs more bytes than a 64-bit size can hold");
        }

        var offsets = Require(value, "data_offsets", JsonValueKind.Array, "an array [begin, end]", where, path);
        if (offsets.GetArrayLength() != 2)
        {
            throw Fail(path, $"{where}: data_offsets must be exactly two integers [begin, end], found {offsets.GetArrayLength()} values");
        }
        long begin = NonNegativeInteger(offsets[0], $"{where}: data_offsets begin", path);
        long end = NonNegativeInteger(offsets[1], $"{where}: data_offsets end", path);
        if (begin > end)
        {
            throw Fail(path, $"{where}: data_offsets begin {begin} is after end {end}");
        }
        if (end - begin != bytes)
        {
            throw Fail(path, $"{where}: data_offsets [{begin}, {end}] cover {end - begin} bytes " +
                $"but shape [{string.Join(", ", shape)}] of {dtype.HeaderName()} needs {bytes} bytes");
        }
        if (end > dataLength)
        {
            throw Fail(path, $"{where}: data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes); " +
                "the file is truncated");
        }
        return new SafetensorsEntry(name, dtype, Array.AsReadOnly(shape), count, begin, end);
    }

    private static JsonElement Require(JsonElement entry, string key, JsonValueKind kind, string expected, string where, string path)
    {
        if (!entry.TryGetProperty(key, out var value))
        {
            throw Fail(path, $"{where}: the entry is missing '{key}' (expected {expected})");
        }
        if (value.ValueKind != kind)
        {
            throw Fail(path, $"{where}: '{key}' must be {expected}, found {Describe(value.ValueKind)}");
        }
        return value;
    }

    private static long NonNegativeInteger(JsonElement value, string what, string path)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long result))
        {
            throw Fail(path, $"{what} must be an integer in the 64-bit range, found {Describe(value.ValueKind)} {Show(value.GetRawText())}");
        }
        if (result < 0)
        {
            throw Fail(path, $"{what} is negative ({result})");
        }
        return result;
    }

    private static long ElementCount(long[] shape, string where, string path)
    {
        // A zero dimension makes the tensor empty whatever the others are.
        if (Array.IndexOf(shape, 0L) >= 0)
        {
            return 0;
        }
        try
        {
            long count = 1;
            foreach (long dim in shape)
            {
                count = checked(count * dim);
            }
            return count;
        }
        catch (OverflowException)
        {
            throw Fail(path, $"{where}: the element count of shape [{string.Join(", ", shape)}] overflows a 64-bit integer");
        }
    }

    private static void CheckNoOverlap(IEnumerable<SafetensorsEntry> entries, string path)
    {
        // Empty tensors hold no bytes, so they cannot overlap anything.
        var sorted = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            var (previous, current) = (sorted[i - 1], sorted[i]);
            if (current.Begin < previous.End)
            {
                throw Fail(path, $"tensor '{Show(current.Name)}' bytes [{current.Begin}, {current.End}) " +
                    $"overlap tensor '{Show(previous.Name)}' bytes [{previous.Begin}, {previous.End}); the header is corrupt");
            }
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    /// <summary>Keeps messages one readable line when a (corrupt) name or value is huge.</summary>
    internal static string Show(string text) =>
        text.Length <= MaxNameShown ? text : string.Concat(text.AsSpan(0, MaxNameShown), "...");

    private static IclException Fail(string path, string problem) => new($"{path}: {problem}");
}
