using System.Buffers.Binary;
using System.Text;

namespace IclNotebook.Tests.Loading;

/// <summary>Hand-built safetensors bytes and a scratch folder that cleans up after itself.</summary>
internal sealed class SafetensorsTestFiles : IDisposable
{
    private readonly TempFolder _temp = new("icl-safetensors");

    public string Folder => _temp.Path;

    public string Save(string fileName, byte[] bytes)
    {
        var path = _temp[fileName];
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>u64 LE length of <paramref name="header"/> (or <paramref name="headerLength"/>), the header, then data.</summary>
    public static byte[] Build(string header, byte[] data, ulong? headerLength = null) =>
        BuildRaw(Encoding.UTF8.GetBytes(header), data, headerLength);

    public static byte[] BuildRaw(byte[] header, byte[] data, ulong? headerLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Little-endian bytes of 16-bit values (F16 or BF16 bit patterns).</summary>
    public static byte[] Halves(params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        }
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    /// <summary>A small valid file: F32 [2,3], F16 [2], BF16 [2] (36 data bytes) with metadata.</summary>
    public static byte[] SmallValidFile() => Build(
        """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},"c":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]}}""",
        [.. Floats(1, 2, 3, -4, 0.5f, 6), .. Halves(0x3C00, 0xC000), .. Halves(0x3F80, 0xC040)]);

    public void Dispose()
    {
        try
        {
            _temp.Dispose();
        }
        catch (IOException)
        {
            // A leaked scratch folder in /tmp must not fail a test run.
        }
    }
}
