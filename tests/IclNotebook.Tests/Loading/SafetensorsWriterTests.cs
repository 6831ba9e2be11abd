using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using IclNotebook.Loading;

namespace IclNotebook.Tests.Loading;

public class SafetensorsWriterTests
{
    private static readonly Dictionary<string, string> Meta = new() { ["format"] = "pt", ["note"] = "a+b <c>" };

    [Fact]
    public void Writes_the_reference_layout_and_reads_back()
    {
        using var files = new SafetensorsTestFiles();
        var path = Path.Combine(files.Folder, "out.safetensors");
        float[] a = [1, -2.5f, float.Epsilon, float.MaxValue, -0f, 6];

        SafetensorsWriter.Write(path, [("a", [2, 3], a), ("scalar", [], new float[] { 42 }), ("empty", [0, 4], ReadOnlyMemory<float>.Empty)], Meta);

        var bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + (4 * 7), bytes.Length);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("""{"__metadata__":{"format":"pt","note":"a+b <c>"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}""", header, StringComparison.Ordinal);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(a, file.ReadFloat32("a"));
        Assert.Equal([42f], file.ReadFloat32("scalar"));
        Assert.Empty(file.Tensors["scalar"].Shape);
        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Equal(Meta, file.Metadata);
    }

    [Fact]
    public void Overwrites_an_existing_file()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.Save("out.safetensors", Encoding.UTF8.GetBytes("old contents"));

        SafetensorsWriter.Write(path, [("x", [1], new float[] { 3 })]);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([3f], file.ReadFloat32("x"));
        Assert.Single(Directory.GetFiles(files.Folder));
    }

    [Fact]
    public void Sequence_throwing_midway_leaves_no_file_and_no_temp()
    {
        using var files = new SafetensorsTestFiles();
        var path = Path.Combine(files.Folder, "out.safetensors");

        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, Failing()));

        Assert.Empty(Directory.GetFileSystemEntries(files.Folder));

        static IEnumerable<(string, long[], ReadOnlyMemory<float>)> Failing()
        {
            yield return ("a", [1], new float[] { 1 });
            throw new InvalidOperationException("source failed");
        }
    }

    [Fact]
    public void Data_failing_while_streaming_deletes_the_temp_and_keeps_the_old_file()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.Save("out.safetensors", Encoding.UTF8.GetBytes("old contents"));
        using var source = new ThrowingMemory(16);
        var failing = source.Memory;

        Assert.Throws<InvalidOperationException>(() =>
            SafetensorsWriter.Write(path, [("a", [2], new float[] { 1, 2 }), ("b", [16], failing)]));

        Assert.Equal([path], Directory.GetFileSystemEntries(files.Folder));
        Assert.Equal("old contents", File.ReadAllText(path));
    }

    [Fact]
    public void Bad_input_is_refused_before_any_file_is_made()
    {
        using var files = new SafetensorsTestFiles();
        var path = Path.Combine(files.Folder, "out.safetensors");
        float[] two = [1, 2];

        var shape = Assert.Throws<IclException>(() => SafetensorsWriter.Write(path, [("a", [3], two)]));
        var negative = Assert.Throws<IclException>(() => SafetensorsWriter.Write(path, [("a", [-1, -2], two)]));
        var twice = Assert.Throws<IclException>(() => SafetensorsWriter.Write(path, [("a", [2], two), ("a", [2], two)]));
        var reserved = Assert.Throws<IclException>(() => SafetensorsWriter.Write(path, [("__metadata__", [2], two)]));
        var folder = Assert.Throws<IclException>(() => SafetensorsWriter.Write(Path.Combine(files.Folder, "missing", "x.safetensors"), [("a", [2], two)]));

        Assert.Contains("shape [3] but 2 values", shape.Message, StringComparison.Ordinal);
        Assert.Contains("non-negative", negative.Message, StringComparison.Ordinal);
        Assert.Contains("given twice", twice.Message, StringComparison.Ordinal);
        Assert.Contains("not allowed", reserved.Message, StringComparison.Ordinal);
        Assert.Contains("check that the folder exists", folder.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(files.Folder));
    }

    /// <summary>Memory whose span cannot be taken: fails after the writer has started streaming.</summary>
    private sealed class ThrowingMemory(int length) : MemoryManager<float>
    {
        public override Span<float> GetSpan() => throw new InvalidOperationException("data source failed");

        public override Memory<float> Memory => CreateMemory(length);

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    [Theory]
    [InlineData(SafetensorsDType.F16)]
    [InlineData(SafetensorsDType.BF16)]
    public void Writes_half_precision_rounded_to_nearest_even(SafetensorsDType dtype)
    {
        using var files = new SafetensorsTestFiles();
        var path = Path.Combine(files.Folder, "half.safetensors");
        // 1 + 2^-11 lies halfway between two F16 values (1 and 1 + 2^-10): ties go to the even one, 1.
        // 1 + 2^-8 is halfway between BF16's 1 and 1 + 2^-7: also 1. 1 + 3 * 2^-11 rounds up in F16.
        float[] a = [1, -2.5f, 1 + 1f / 2048, 1 + 3f / 2048, 1 + 1f / 256, 1 + 3f / 256, 65504, 0.1f];
        SafetensorsWriter.Write(path, [("a", [a.Length], a)], dtype: dtype);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(dtype, file.Tensors["a"].DType);
        var back = file.ReadFloat32("a");
        float[] expected = dtype == SafetensorsDType.F16
            ? a.Select(x => (float)(Half)x).ToArray()
            : [1, -2.5f, 1, 1, 1, 1 + 1f / 64, 65536, BitConverter.UInt32BitsToSingle(0x3DCD0000)];
        Assert.Equal(expected, back);
        if (dtype == SafetensorsDType.F16)
        {
            Assert.Equal(1f, back[2]);
            Assert.Equal(1 + 2f / 1024, back[3]);
        }
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes) + (2 * a.Length), bytes.Length);
        Assert.Contains($"\"dtype\":\"{dtype}\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_dtype_it_cannot_write()
    {
        using var files = new SafetensorsTestFiles();
        var path = Path.Combine(files.Folder, "int.safetensors");
        var e = Assert.Throws<IclException>(() => SafetensorsWriter.Write(path, [("a", [1], new float[] { 1 })], dtype: SafetensorsDType.I32));
        Assert.Contains("F32, F16 or BF16", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }
}
