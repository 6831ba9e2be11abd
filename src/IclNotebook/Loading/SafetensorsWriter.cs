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
/// The file stores F32 (the default), or F16 / BF16 (each value rounded to nearest even; halves
/// the file, as Hugging Face's half-precision checkpoints do).
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
        IReadOnlyDictionary<string, string>? metadata = null,
        SafetensorsDType dtype = SafetensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        foreach (var (name, shape, data) in list) CheckLength(path, name, shape, data.Length);
        Write(path, list.Select(t => (t.Name, t.Shape, (Func<ReadOnlyMemory<float>>)(() => t.Data))), metadata, dtype);
    }

    /// <summary>
    /// As above, but each tensor's data is produced only when it is written (and may be dropped
    /// right after), so a large checkpoint can be written with one tensor in memory at a time.
    /// A producer returning the wrong length fails the write; nothing appears at the path.
    /// </summary>
    public static void Write(
        string path,
        IEnumerable<(string Name, long[] Shape, Func<ReadOnlyMemory<float>> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        SafetensorsDType dtype = SafetensorsDType.F32)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (dtype is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw new IclException($"{path}: tensors can be written as F32, F16 or BF16, not {dtype}");
        if (!BitConverter.IsLittleEndian)
        {
            throw new IclException("safetensors data is little-endian and this machine is big-endian; writing it is not supported");
        }
        var list = tensors.ToList();
        byte[] header = BuildHeader(path, list, metadata, dtype);

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
                    if (dtype == SafetensorsDType.F32)
                        stream.Write(MemoryMarshal.AsBytes(data.Span)); // large spans bypass the FileStream buffer: no second copy
                    else
                        WriteHalves(stream, data.Span, dtype);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new IclException($"{path}: writing the safetensors file failed ({e.Message}); " +
                "check that the folder exists, is writable and has space", e);
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
            throw new IclException($"{path}: tensor '{name}' has shape [{string.Join(", ", shape)}] but {length} values; " +
                "the data length must be the product of the shape");
    }

    private static byte[] BuildHeader(
        string path,
        List<(string Name, long[] Shape, Func<ReadOnlyMemory<float>> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata,
        SafetensorsDType dtype)
    {
        int size = dtype == SafetensorsDType.F32 ? 4 : 2;
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
                    throw new IclException($"{path}: tensor name '{name}' is not allowed; " +
                        $"use a non-empty state-dict key other than '{SafetensorsHeader.MetadataKey}'");
                }
                if (!names.Add(name))
                {
                    throw new IclException($"{path}: tensor '{name}' is given twice; each name may appear once");
                }
                if (shape is null || shape.Any(d => d < 0))
                {
                    throw new IclException($"{path}: tensor '{name}' has shape [{string.Join(", ", shape ?? [])}]; " +
                        "a shape must be given and its dimensions non-negative");
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
                long end = offset + size * count;
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToString());
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

    /// <summary>Rounds each value to F16 or BF16 (nearest, ties to even) and writes it little-endian, a chunk at a time.</summary>
    private static void WriteHalves(Stream stream, ReadOnlySpan<float> data, SafetensorsDType dtype)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int chunk = buffer.Length / 2;
            for (int start = 0; start < data.Length; start += chunk)
            {
                var part = data.Slice(start, Math.Min(chunk, data.Length - start));
                for (int i = 0; i < part.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(2 * i), dtype == SafetensorsDType.F16
                        ? BitConverter.HalfToUInt16Bits((Half)part[i])
                        : ToBFloat16(part[i]));
                stream.Write(buffer, 0, 2 * part.Length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);               // a quiet NaN stays NaN
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);                 // round to nearest, ties to even
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
