using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Loading;

/// <summary>Checkpoint variants the loader must accept or refuse, built from the fixture model.</summary>
public sealed class ModelLoaderTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-loader");

    public void Dispose() => _dir.Dispose();

    /// <summary>The fixture's tensors, renamed/filtered/extended, written as a new model folder.</summary>
    private string Variant(string name, Func<string, string?> rename, params (string Name, long[] Shape)[] extra)
    {
        var folder = _dir[name];
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(Fixtures.TinyModel, "config.json"), Path.Combine(folder, "config.json"));
        using var source = SafetensorsFile.Open(Path.Combine(Fixtures.TinyModel, "model.safetensors"));
        var tensors = source.Tensors.Values
            .Select(e => (Name: rename(e.Name), Shape: e.Shape.ToArray(), Data: (ReadOnlyMemory<float>)source.ReadFloat32(e.Name)))
            .Where(t => t.Name is not null)
            .Select(t => (t.Name!, t.Shape, t.Data))
            .Concat(extra.Select(x => (x.Name, x.Shape, (ReadOnlyMemory<float>)new float[x.Shape.Aggregate(1L, (a, b) => a * b)])))
            .ToList();
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return folder;
    }

    [Fact]
    public void Transformer_prefix_masked_bias_and_tied_lm_head_load_to_the_same_model()
    {
        var folder = Variant("prefixed", n => "transformer." + n, ("transformer.h.0.attn.masked_bias", [1]), ("transformer.h.1.attn.masked_bias", [1]));
        // lm_head.weight tied to wte, as GPT2LMHeadModel checkpoints may store it.
        var withHead = Variant("with-head", n => n);
        using (var f = SafetensorsFile.Open(Path.Combine(withHead, "model.safetensors")))
        {
            var all = f.Tensors.Values.Select(e => (e.Name, e.Shape.ToArray(), (ReadOnlyMemory<float>)f.ReadFloat32(e.Name))).ToList();
            all.Add(("lm_head.weight", f.Entry("wte.weight").Shape.ToArray(), f.ReadFloat32("wte.weight")));
            f.Dispose();
            SafetensorsWriter.Write(Path.Combine(withHead, "model.safetensors"), all);
        }

        using var original = ModelLoader.LoadFolder(Fixtures.TinyModel);
        using var prefixed = ModelLoader.LoadFolder(folder);
        using var headed = ModelLoader.LoadFolder(withHead);
        using var tokens = tensor(new long[] { 50256, 15496, 995 }, [1, 3]);
        using var expected = original.Run(tokens);
        using var a = prefixed.Run(tokens);
        using var b = headed.Run(tokens);
        Assert.True(a.allclose(expected, rtol: 0, atol: 0));
        Assert.True(b.allclose(expected, rtol: 0, atol: 0));
    }

    [Fact]
    public void Missing_unexpected_and_misshapen_tensors_are_named()
    {
        var missing = Variant("missing", n => n == "h.1.mlp.c_fc.bias" ? null : n);
        var e1 = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(missing));
        Assert.Contains("'h.1.mlp.c_fc.bias' is missing", e1.Message, StringComparison.Ordinal);

        var extra = Variant("extra", n => n, ("h.0.attn.rotary", [4]));
        var e2 = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(extra));
        Assert.Contains("unexpected tensors h.0.attn.rotary", e2.Message, StringComparison.Ordinal);

        var folder = Variant("shape", n => n);
        File.WriteAllText(Path.Combine(folder, "config.json"), File.ReadAllText(Path.Combine(folder, "config.json")).Replace("\"n_positions\": 256", "\"n_positions\": 128", StringComparison.Ordinal));
        var e3 = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(folder));
        Assert.Contains("'wpe.weight' has shape [256, 64], but config.json implies [128, 64]", e3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_model_records_its_processing_and_name()
    {
        using var raw = ModelLoader.LoadFolder(Fixtures.TinyModel, WeightProcessing.Raw);
        Assert.Equal(WeightProcessing.Raw, raw.Processing);
        Assert.Equal("tiny-gpt2-a", raw.Config.Name);
        Assert.Contains("blocks.0.ln1.w", raw.ExpectedWeights.Keys);
        using var processed = ModelLoader.LoadFolder(Fixtures.TinyModel);
        Assert.DoesNotContain("blocks.0.ln1.w", processed.ExpectedWeights.Keys);
    }
}
