using IclNotebook.Loading;

namespace IclNotebook.Tests.Loading;

public class SafetensorsFixtureTests
{
    private static string FixturePath() =>
        Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "tiny-gpt2-a", "model.safetensors");

    [Fact]
    public void Real_tiny_gpt2_has_the_hf_names_shapes_and_metadata()
    {
        using var file = SafetensorsFile.Open(FixturePath());

        Assert.Equal(30, file.Tensors.Count);
        Assert.Equal([50257L, 64], file.Tensors["wte.weight"].Shape);
        Assert.Equal([64L, 192], file.Tensors["h.0.attn.c_attn.weight"].Shape);
        Assert.Equal([1L, 1, 256, 256], file.Tensors["h.0.attn.bias"].Shape);
        Assert.All(file.Tensors.Values, e => Assert.Equal(SafetensorsDType.F32, e.DType));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(file.Tensors.Keys.Order(StringComparer.Ordinal), file.Tensors.Keys);

        // Values checked with python's struct module against the raw file bytes.
        var wte = file.ReadFloat32("wte.weight");
        Assert.Equal(BitConverter.Int32BitsToSingle(unchecked((int)0xbd0947a0)), wte[0]);
        Assert.Equal(BitConverter.Int32BitsToSingle(unchecked((int)0xbdfba57e)), wte[^1]);
        var cAttn = new float[64 * 192];
        file.ReadFloat32("h.0.attn.c_attn.weight", cAttn);
        Assert.Equal(BitConverter.Int32BitsToSingle(0x3ea85ef1), cAttn[(192 * 3) + 5]);
    }

    [Fact]
    public void Every_tensor_round_trips_through_write_open_read_exactly()
    {
        using var files = new SafetensorsTestFiles();
        var copy = Path.Combine(files.Folder, "copy.safetensors");
        Dictionary<string, float[]> original;
        using (var file = SafetensorsFile.Open(FixturePath()))
        {
            original = file.Tensors.Keys.ToDictionary(k => k, file.ReadFloat32);
            SafetensorsWriter.Write(
                copy,
                file.Tensors.Values.Select(e => (e.Name, e.Shape.ToArray(), (ReadOnlyMemory<float>)original[e.Name])),
                file.Metadata);
        }

        using var reopened = SafetensorsFile.Open(copy);
        Assert.Equal("pt", reopened.Metadata["format"]);
        Assert.Equal(original.Keys.Order(StringComparer.Ordinal), reopened.Tensors.Keys);
        foreach (var (name, values) in original)
        {
            var back = reopened.ReadFloat32(name);
            Assert.True(values.AsSpan().SequenceEqual(back), $"tensor {name} changed in the round trip");
        }
        Assert.Equal([50257L, 64], reopened.Tensors["wte.weight"].Shape);
        // Name order, F32 and the same metadata reproduce the reference writer's bytes exactly.
        Assert.True(File.ReadAllBytes(copy).AsSpan().SequenceEqual(File.ReadAllBytes(FixturePath())), "writer output differs from the reference file");
    }

    [Fact]
    public void Unknown_tensor_name_lists_known_names()
    {
        using var file = SafetensorsFile.Open(FixturePath());
        var e = Assert.Throws<IclException>(() => file.ReadFloat32("wte"));
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("no tensor named 'wte'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'h.0.attn.bias'", e.Message, StringComparison.Ordinal);
    }
}
