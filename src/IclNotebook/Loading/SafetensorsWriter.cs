using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace IclNotebook.Loading;

/// <summary>
/// Writes float32 tensors as a safetensors file in the reference layout: u64 header length, JSON
/// header padded with spaces to a multiple of 8 bytes, then each tensor's bytes in the given order.
/// The file appears at its path only when complete (temp file + rename); on any failure the temp
/// file is deleted and nothing at the path changes.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (row-major float32 data whose length is the product of the
    /// shape) and optional <paramref name="metadata"/> to <paramref name="path"/>, replacing any
    /// existing file. The sequence is enumerated once up front (keeping only references to the
    /// caller's memory); data is then streamed straight from that memory to disk, never copied.
    /// Exceptions thrown by the caller's sequence or memory propagate unchanged.
    /// </summary>
    public static void Write(
        string path,
        IEnumerable<(string Name, long[] Shape, ReadOnlyMemory<float> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        foreach (var (name, shape, data) in list) CheckLength(path, name, shape, data.Length);
        Write(path, list.Select(t => (t.Name, t.Shape, (Func<ReadOnlyMemory<float>>)(() => t.Data))), metadata);
    }

    /// <summary>
    /// As above, but each tensor's data is produced only when it is written (and may be dropped
    /// right after), so a large checkpoint can be written with one tensor in memory at a time.
    /// A producer returning the wrong length fails the write; nothing appears at the path.
    /// </summary>
    public static void Write(
        string path,
        IEnumerable<(string Name, long[] Shape, Func<ReadOnlyMemory<float>> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
        {
            throw new IclException("safetensors data is little-endian and this machine is big-endian; writing it is not supported");
        }
        var list = tensors.ToList();
        byte[] header = BuildHeader(path, list, metadata);

        string temp = $"{path}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var tensor in list)
                {
                    var data = tensor.Data();
                    CheckLength(path, tensor.Name, tensor.Shape, data.Length);
                    // Large spans bypass the FileStream buffer: no second copy of the data.
                    stream.Write(MemoryMarshal.AsBytes(data.Span));
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new IclException($"{path}: writing the safetensors file failed ({e.Message}); check that the folder exists, is writable and has space", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void CheckLength(string path, string name, long[] shape, long length)
    {
        long count;
        try { count = (shape ?? []).Aggregate(1L, (product, dim) => checked(product * dim)); }
        catch (OverflowException) { count = -1; }
        if (shape is not null && shape.All(d => d >= 0) && count != length)
            throw new IclException($"{path}: tensor '{name}' has shape [{string.Join(", ", shape)}] but {length} values; the data length must be the product of the shape");
    }

    private static byte[] BuildHeader(
        string path,
        List<(string Name, long[] Shape, Func<ReadOnlyMemory<float>> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var output = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps names like "a+b" readable; the result is still strict JSON.
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    if (value is null)
                    {
                        throw new IclException($"{path}: metadata entry '{key}' is null; safetensors metadata values must be strings");
                    }
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach (var (name, shape, _) in tensors)
            {
                if (string.IsNullOrEmpty(name) || name == SafetensorsHeader.MetadataKey)
                {
                    throw new IclException($"{path}: tensor name '{name}' is not allowed; use a non-empty state-dict key other than '{SafetensorsHeader.MetadataKey}'");
                }
                if (!names.Add(name))
                {
                    throw new IclException($"{path}: tensor '{name}' is given twice; each name may appear once");
                }
                if (shape is null || shape.Any(d => d < 0))
                {
                    throw new IclException($"{path}: tensor '{name}' has shape [{string.Join(", ", shape ?? [])}]; a shape must be given and its dimensions non-negative");
                }
                long count = 1;
                try
                {
                    count = shape.Aggregate(1L, (product, dim) => checked(product * dim));
                }
                catch (OverflowException)
                {
                    count = -1;
                }
                if (count < 0)
                {
                    throw new IclException($"{path}: tensor '{name}' has shape [{string.Join(", ", shape)}], too many elements to store");
                }
                long end = offset + 4L * count;
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (long dim in shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        int padded = (output.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        output.WrittenSpan.CopyTo(header);
        header.AsSpan(output.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original failure is the one worth reporting.
        }
    }
}
