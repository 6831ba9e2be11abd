using IclNotebook.Loading;

namespace IclNotebook.Tests.Loading;

public class SafetensorsConversionTests
{
    [Fact]
    public void F16_values_convert_exactly()
    {
        using var files = new SafetensorsTestFiles();
        // 1, -2, 0.5, 65504 (max), -0.25, 0, -0, 1.5
        var bits = new ushort[] { 0x3C00, 0xC000, 0x3800, 0x7BFF, 0xB400, 0x0000, 0x8000, 0x3E00 };
        var path = files.Save("f16.safetensors", SafetensorsTestFiles.Build(
            """{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]}}""", SafetensorsTestFiles.Halves(bits)));

        using var file = SafetensorsFile.Open(path);
        var values = file.ReadFloat32("h");

        Assert.Equal(SafetensorsDType.F16, file.Tensors["h"].DType);
        Assert.Equal([1f, -2f, 0.5f, 65504f, -0.25f, 0f, -0f, 1.5f], values);
        Assert.True(float.IsNegative(values[6]), "-0 must stay negative zero");
    }

    [Fact]
    public void BF16_values_convert_exactly()
    {
        using var files = new SafetensorsTestFiles();
        // 1, -2, 0.5, 3.140625, -0.375, 0, 256, -1e30-ish (0xF1C9 << 16)
        var bits = new ushort[] { 0x3F80, 0xC000, 0x3F00, 0x4049, 0xBEC0, 0x0000, 0x4380, 0xF1C9 };
        var path = files.Save("bf16.safetensors", SafetensorsTestFiles.Build(
            """{"b":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}}""", SafetensorsTestFiles.Halves(bits)));

        using var file = SafetensorsFile.Open(path);
        var values = new float[8];
        file.ReadFloat32("b", values);

        Assert.Equal([1f, -2f, 0.5f, 3.140625f, -0.375f, 0f, 256f], values[..7]);
        Assert.Equal(BitConverter.Int32BitsToSingle(unchecked((int)0xF1C90000)), values[7]);
    }

    [Fact]
    public void Conversion_crosses_chunk_boundaries_and_reads_every_element()
    {
        using var files = new SafetensorsTestFiles();
        // 5000 elements: more than two conversion chunks; value i is i in BF16 for i < 256 (exact).
        var bits = Enumerable.Range(0, 5000).Select(i => (ushort)(BitConverter.SingleToInt32Bits(i % 256) >> 16)).ToArray();
        var path = files.Save("long.safetensors", SafetensorsTestFiles.Build(
            """{"x":{"dtype":"BF16","shape":[5000],"data_offsets":[0,10000]}}""", SafetensorsTestFiles.Halves(bits)));

        using var file = SafetensorsFile.Open(path);
        var values = file.ReadFloat32("x");

        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (float)(i % 256)), values);
    }

    [Theory]
    [InlineData("BF16", 2)]
    [InlineData("F32", 4)]
    public void A_block_of_elements_reads_as_that_slice_of_the_whole(string dtype, int width)
    {
        using var files = new SafetensorsTestFiles();
        // A [1000, 5] matrix whose element i is i % 256 (exact in BF16); rows 300..499 read alone.
        var values = Enumerable.Range(0, 5000).Select(i => (float)(i % 256)).ToArray();
        var data = width == 4 ? values.SelectMany(BitConverter.GetBytes).ToArray()
            : SafetensorsTestFiles.Halves(values.Select(v => (ushort)(BitConverter.SingleToInt32Bits(v) >> 16)).ToArray());
        var path = files.Save("block.safetensors", SafetensorsTestFiles.Build(
            $$$"""{"m":{"dtype":"{{{dtype}}}","shape":[1000,5],"data_offsets":[0,{{{5000 * width}}}]}}""", data));

        using var file = SafetensorsFile.Open(path);
        var block = new float[1000];
        file.ReadFloat32("m", block, firstElement: 1500);

        Assert.Equal(values[1500..2500], block);
        var outside = Assert.Throws<IclException>(() => file.ReadFloat32("m", block, firstElement: 4500));
        Assert.Contains("elements 4500 to 5500 are out of range", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_mixed_file_reads_all_dtypes_and_checks_destination_length()
    {
        using var files = new SafetensorsTestFiles();
        var path = files.Save("small.safetensors", SafetensorsTestFiles.SmallValidFile());

        using var file = SafetensorsFile.Open(path);

        Assert.Equal([1f, 2, 3, -4, 0.5f, 6], file.ReadFloat32("a"));
        Assert.Equal([1f, -2], file.ReadFloat32("b"));
        Assert.Equal([1f, -3], file.ReadFloat32("c"));
        Assert.Equal(new SafetensorsEntry("a", SafetensorsDType.F32, file.Tensors["a"].Shape, 6, 0, 24), file.Tensors["a"]);
        var e = Assert.Throws<IclException>(() => file.ReadFloat32("a", new float[5]));
        Assert.Contains("destination holds 5", e.Message, StringComparison.Ordinal);
    }
}
