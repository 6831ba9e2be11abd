using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IclNotebook.Loading;

/// <summary>
/// A safetensors file opened read-only: the header is validated up front (see
/// <see cref="SafetensorsHeader"/>), and tensor data is read with positioned reads straight into
/// its destination only when asked for, never held in a managed array of the file's size. Not
/// memory-mapped: pages of a mapping count as the process's resident memory while it is open, which
/// for a multi-gigabyte checkpoint doubled the loader's peak. Reads may run concurrently; dispose when done.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    // Elements read per positioned read: F32 straight into the destination, F16/BF16 through a pooled staging buffer.
    private const int ReadChunk = 1 << 20;

    private readonly FileStream _stream;
    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;
    private bool _disposed;

    private SafetensorsFile(
        string path,
        FileStream stream,
        long dataStart,
        IReadOnlyDictionary<string, SafetensorsEntry> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _handle = stream.SafeFileHandle;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The path the file was opened from.</summary>
    public string Path { get; }

    /// <summary>Every tensor of the header, keyed and ordered by name (ordinal), like <c>safe_open(...).keys()</c>.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> object (ordered by key); empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates <paramref name="path"/>; any problem with the file is an <see cref="IclException"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new IclException("safetensors data is little-endian and this machine is big-endian; reading it is not supported");
        }
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new IclException($"{path}: cannot open the safetensors file ({e.Message}); check the path and its permissions", e);
        }

        try
        {
            long fileLength = stream.Length;
            Span<byte> prefix = stackalloc byte[8];
            int got = fileLength >= 8 ? stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) : 0;
            long headerLength = SafetensorsHeader.ReadHeaderLength(prefix[..got], fileLength, path);

            // Bounded by the real file length (checked above), so this is never larger than the file.
            var json = new byte[headerLength];
            stream.ReadExactly(json);
            long dataStart = 8 + headerLength;
            var (tensors, metadata) = SafetensorsHeader.Parse(json, fileLength - dataStart, path);

            return new SafetensorsFile(path, stream, dataStart, tensors, metadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw new IclException($"{path}: reading the safetensors file failed ({e.Message}); the file may have changed while it was read", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads tensor <paramref name="name"/> as float32 into a new array (F16 and BF16 converted exactly).</summary>
    public float[] ReadFloat32(string name)
    {
        var entry = Entry(name);
        if (entry.ElementCount > Array.MaxLength)
        {
            throw new IclException($"{Path}: tensor '{name}' has {entry.ElementCount} elements, more than a float[] can hold; " +
                "read it in a different way");
        }
        var result = new float[entry.ElementCount];
        Copy(entry, result, 0);
        return result;
    }

    /// <summary>
    /// Reads tensor <paramref name="name"/> as float32 into <paramref name="destination"/>, whose
    /// length must equal the tensor's element count (F16 and BF16 converted exactly).
    /// </summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var entry = Entry(name);
        if (destination.Length != entry.ElementCount)
        {
            throw new IclException($"{Path}: tensor '{name}' {entry.ShapeText} has {entry.ElementCount} elements " +
                $"but the destination holds {destination.Length}; pass a span of exactly that length");
        }
        Copy(entry, destination, 0);
    }

    /// <summary>
    /// Reads <paramref name="destination"/>'s length of elements of tensor <paramref name="name"/> as float32, starting at
    /// element <paramref name="firstElement"/> (row-major): a block of a matrix's rows without reading the rest.
    /// </summary>
    public void ReadFloat32(string name, Span<float> destination, long firstElement)
    {
        var entry = Entry(name);
        if (firstElement < 0 || firstElement + destination.Length > entry.ElementCount)
        {
            throw new IclException($"{Path}: tensor '{name}' {entry.ShapeText} has {entry.ElementCount} elements; " +
                $"elements {firstElement} to {firstElement + destination.Length} are out of range");
        }
        Copy(entry, destination, firstElement);
    }

    /// <summary>The validated entry for <paramref name="name"/>; unknown names list a few known ones.</summary>
    public SafetensorsEntry Entry(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Tensors.TryGetValue(name, out var entry))
        {
            return entry;
        }
        var known = Tensors.Keys.Take(5).Select(k => $"'{SafetensorsHeader.Show(k)}'");
        string list = Tensors.Count == 0 ? "the file has no tensors" : $"known tensors include {string.Join(", ", known)} ({Tensors.Count} in all)";
        throw new IclException($"{Path}: no tensor named '{SafetensorsHeader.Show(name)}'; {list}. Check the name against Tensors.Keys");
    }

    private void Copy(SafetensorsEntry entry, Span<float> destination, long firstElement)
    {
        if (!entry.DType.IsReadable())
            throw new IclException($"{Path}: tensor '{SafetensorsHeader.Show(entry.Name)}' is stored as {entry.DType.HeaderName()}; " +
                $"only {SafetensorsDTypes.Readable} tensors are read as weights (is it a buffer the loader should skip?)");
        long offset = _dataStart + entry.Begin + firstElement * (entry.DType == SafetensorsDType.F32 ? 4 : 2);
        if (entry.DType == SafetensorsDType.F32)
        {
            for (int done = 0; done < destination.Length; done += ReadChunk)
            {
                var chunk = destination.Slice(done, Math.Min(ReadChunk, destination.Length - done));
                ReadAt(offset + (long)done * 4, MemoryMarshal.AsBytes(chunk), entry);
            }
            return;
        }

        var staging = ArrayPool<ushort>.Shared.Rent(ReadChunk);
        try
        {
            for (int done = 0; done < destination.Length; done += ReadChunk)
            {
                var chunk = staging.AsSpan(0, Math.Min(ReadChunk, destination.Length - done));
                ReadAt(offset + (long)done * 2, MemoryMarshal.AsBytes(chunk), entry);
                var target = destination.Slice(done, chunk.Length);
                if (entry.DType == SafetensorsDType.BF16)
                {
                    // bfloat16 is the upper half of a float32: widening is exact.
                    for (int i = 0; i < chunk.Length; i++)
                    {
                        target[i] = BitConverter.Int32BitsToSingle(chunk[i] << 16);
                    }
                }
                else
                {
                    for (int i = 0; i < chunk.Length; i++)
                    {
                        target[i] = (float)BitConverter.UInt16BitsToHalf(chunk[i]);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(staging);
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> from the file at <paramref name="offset"/>; a file that ends early (or changed since
    /// its header was read) is named.
    /// </summary>
    private void ReadAt(long offset, Span<byte> destination, SafetensorsEntry entry)
    {
        try
        {
            while (destination.Length > 0)
            {
                int n = RandomAccess.Read(_handle, destination, offset);
                if (n == 0)
                    throw new IclException($"{Path}: the file ends inside tensor '{SafetensorsHeader.Show(entry.Name)}'; " +
                        "it was truncated or changed after its header was read. Download it again.");
                destination = destination[n..];
                offset += n;
            }
        }
        catch (IOException e)
        {
            throw new IclException($"{Path}: reading tensor '{SafetensorsHeader.Show(entry.Name)}' failed ({e.Message}); " +
                "check the disk and download the file again if it persists.", e);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _stream.Dispose();
    }
}
