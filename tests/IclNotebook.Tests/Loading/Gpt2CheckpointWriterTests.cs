using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Loading;

/// <summary>A raw GPT-2 written as a Hugging Face folder reads back as the same model.</summary>
public class Gpt2CheckpointWriterTests
{
    [Fact]
    public void A_written_float32_checkpoint_reads_back_bit_for_bit_and_runs_the_same()
    {
        using var model = TiedRandomGpt2(3);
        using var folder = new TempFolder("icl-gpt2-writer");
        Gpt2CheckpointWriter.WriteFiles(model, folder.Path);

        using var raw = ModelLoader.LoadFolder(folder.Path, WeightProcessing.Raw);
        Assert.Equal(model.Config with { Name = raw.Config.Name }, raw.Config);
        var original = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in raw.named_parameters())
            Assert.True(p.equal(original[name]).all().item<bool>(), $"{name} differs after the round trip");

        // And with TL's default processing the log-probs equal the raw model's.
        using var processed = ModelLoader.LoadFolder(folder.Path);
        var tokens = tensor(new long[] { 5, 17, 3, 90, 42, 42, 7 }, [1, 7]);
        using var a = model.Run(tokens).log_softmax(-1);
        using var b = processed.Run(tokens).log_softmax(-1);
        TensorAssert.Close(a, b, 1e-5, "log-probs");
    }

    [Fact]
    public void A_float16_checkpoint_is_half_the_size_and_within_half_precision()
    {
        using var model = TiedRandomGpt2(4);
        using var f32 = new TempFolder("icl-gpt2-writer");
        using var f16 = new TempFolder("icl-gpt2-writer");
        Gpt2CheckpointWriter.WriteFiles(model, f32.Path);
        Gpt2CheckpointWriter.WriteFiles(model, f16.Path, SafetensorsDType.F16);
        long big = new FileInfo(Path.Combine(f32.Path, ModelLoader.WeightsFile)).Length, small = new FileInfo(Path.Combine(f16.Path, ModelLoader.WeightsFile)).Length;
        Assert.InRange(small, big / 2 - 4096, big / 2 + 4096);
        Assert.Contains("\"torch_dtype\": \"float16\"", File.ReadAllText(Path.Combine(f16.Path, ModelLoader.ConfigFile)), StringComparison.Ordinal);
        using var back = ModelLoader.LoadFolder(f16.Path, WeightProcessing.Raw);
        var original = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in back.named_parameters())
            TensorAssert.Close(original[name], p, 1e-7, $"{name} before and after half precision", relative: 1.0 / 1024);
    }

    [Fact]
    public void Processed_or_untied_models_are_refused_with_the_reason()
    {
        using var folder = new TempFolder("icl-gpt2-writer");
        using var processed = ModelLoader.LoadFolder(Fixtures.TinyModel);
        Assert.Contains("WeightProcessing.Raw", Assert.Throws<IclException>(() => Gpt2CheckpointWriter.WriteFiles(processed, folder.Path)).Message, StringComparison.Ordinal);
        using var untied = RandomModels.Create(5, 1, 2);                        // W_U drawn apart from W_E
        Assert.Contains("ties its unembedding", Assert.Throws<IclException>(() => Gpt2CheckpointWriter.WriteFiles(untied, folder.Path)).Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    /// <summary>A random raw GPT-2 whose unembedding is its embedding's transpose (as GPT-2 stores it) and b_U zero.</summary>
    private static HookedTransformer TiedRandomGpt2(int seed)
    {
        var model = RandomModels.Create(seed, 2, 2);
        using var noGrad = no_grad();
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        p[StateDictKey.WU].copy_(p[StateDictKey.WE].t());
        p[StateDictKey.BU].zero_();
        return model;
    }
}
