using IclNotebook.Cli.Bench;
using IclNotebook.Loading.Families;

namespace IclNotebook.Tests.Cli;

/// <summary>The benchmark shapes are the real models': their configs read as the kit reads the hub's, and their tensors add up to the published parameter counts.</summary>
public sealed class BenchShapeTests
{
    [Theory]
    [InlineData("gpt2-small", "gpt2", 124_439_808L, 12, 12, 12)]        // GPT-2 small
    [InlineData("pythia-160m", "gpt_neox", 162_322_944L, 12, 12, 12)]   // the Pythia paper's table, embeddings included
    [InlineData("qwen2.5-0.5b", "qwen2", 494_032_768L, 24, 14, 2)]      // Qwen2.5-0.5B's model card: 0.49B
    [InlineData("qwen3-0.6b", "qwen3", 596_049_920L, 28, 16, 8)]        // Qwen3-0.6B's model card: 0.6B, 0.44B without the embedding
    [InlineData("llama-3.2-1b", "llama", 1_235_814_400L, 16, 32, 8)]    // Llama-3.2-1B: 1.23B
    [InlineData("gemma-2-2b", "gemma2", 2_614_341_888L, 26, 8, 4)]       // Gemma-2-2b: 2.61B
    [InlineData("tinyllama-1.1b", "llama", 1_100_048_384L, 22, 32, 4)]  // TinyLlama-1.1B
    [InlineData("llama-2-7b", "llama", 6_738_415_616L, 32, 32, 32)]      // Llama-2-7b-hf
    public void Each_shape_is_its_real_models(string name, string modelType, long parameters, int layers, int heads, int kvHeads)
    {
        var shape = BenchShape.Find(name);
        using var temp = new TempFolder("icl-shape");
        var path = temp["config.json"];
        File.WriteAllText(path, shape.ConfigJson);
        var (cfg, _) = ModelFamilies.ReadConfig(path, name);
        Assert.Equal(modelType, cfg.ModelType);
        Assert.Equal((layers, heads, kvHeads), (cfg.NLayers, cfg.NHeads, cfg.NKv));
        Assert.Equal(parameters, shape.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)));
        if (shape.TokenizerFolder is { } folder)
        {
            var tokenizer = Path.Combine(AppContext.BaseDirectory, folder, "tokenizer.json");
            Assert.True(File.Exists(tokenizer) || File.Exists(tokenizer + ".gz"), $"{folder}/tokenizer.json (or .gz) is not copied beside icl");
        }
    }

    [Fact]
    public void An_unknown_shape_lists_the_shapes() =>
        Assert.Equal("Unknown shape 'llama-70b'. Shapes: gpt2-small, pythia-160m, qwen2.5-0.5b, qwen3-0.6b, llama-3.2-1b, gemma-2-2b, tinyllama-1.1b, llama-2-7b.", Assert.Throws<IclException>(() => BenchShape.Find("llama-70b")).Message);
}
