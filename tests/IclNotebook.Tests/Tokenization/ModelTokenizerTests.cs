using IclNotebook.Loading;
using IclNotebook.Notebooks;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Tokenization;

/// <summary>The model owns its tokenizer; a model's tokenizer is available (and checked) before its weights are read.</summary>
public class ModelTokenizerTests
{
    [Fact]
    public void A_loaded_model_owns_its_tokenizer_and_batches_remember_theirs()
    {
        using var model = ModelLoader.LoadFolder(Fixtures.TinyModel);
        var tokenizer = Assert.IsType<Gpt2Tokenizer>(model.Tokenizer);
        var batch = model.Tokenizer.ToTokens(["Hello world", "Hi"]);
        Assert.Same(tokenizer, batch.Tokenizer);
        Assert.Equal([50256, 15496, 995], batch.Ids[0]);
        Assert.Equal(50256, batch.PadId);
        Assert.Contains("<|endoftext|>|Hello|·world", NotebookViews.Text(batch), StringComparison.Ordinal);
        // Ids given directly have no tokenizer: views show the ids instead of guessing a vocabulary.
        Assert.Contains("[15496]|[995]", NotebookViews.Text(new TokenBatch([[15496, 995]], 0)), StringComparison.Ordinal);
    }

    /// <summary>icl analyze reads the tokenizer before the weights; the model then takes that same tokenizer instead of reading tokenizer.json again.</summary>
    [Fact]
    public async Task A_tokenizer_read_before_the_weights_becomes_the_models_own()
    {
        var folder = IclNotebook.Tests.Families.FamilyFixture.Folder("tiny-qwen2-a");
        var tokenizer = await ModelSource.LoadTokenizerAsync(folder);
        using var model = ModelLoader.LoadFolder(folder, tokenizer: tokenizer);
        Assert.Same(tokenizer, model.Tokenizer);
    }

    [Fact]
    public async Task The_tokenizer_of_a_model_comes_without_its_weights_and_bad_models_fail_there()
    {
        Assert.IsType<Gpt2Tokenizer>(await ModelSource.LoadTokenizerAsync(Fixtures.TinyModel));
        Assert.IsType<Gpt2Tokenizer>(await ModelSource.LoadTokenizerAsync("gpt2")); // a known name: nothing is downloaded for it
        var unknown = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync("gpt5"));
        Assert.Contains("Unknown model 'gpt5'", unknown.Message, StringComparison.Ordinal);
        using (var folder = new TempFolder("icl-tok"))
        {
            File.WriteAllText(folder["config.json"], "{\"model_type\": \"mamba\", \"architectures\": [\"MambaForCausalLM\"]}");
            File.WriteAllBytes(folder["model.safetensors"], [1]); // never read: the config is refused first
            var unsupported = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync(folder.Path));
            Assert.Contains("unsupported architecture (model_type 'mamba'). Supported model types: gpt2, gpt_neox, gptj, llama, mistral, qwen2, qwen3, phi3", unsupported.Message, StringComparison.Ordinal);
        }
        // Other families bring their tokenizer.json; a folder without one says what to add, before any weight is read.
        Assert.IsType<IclNotebook.Tokenization.HuggingFace.HfTokenizer>(await ModelSource.LoadTokenizerAsync(IclNotebook.Tests.Families.FamilyFixture.Folder("tiny-neox-a")));
        using (var bare = new TempFolder("icl-tok"))
        {
            File.Copy(Path.Combine(IclNotebook.Tests.Families.FamilyFixture.Folder("tiny-neox-a"), "config.json"), bare["config.json"]);
            File.WriteAllBytes(bare["model.safetensors"], [1]); // never read
            var e = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync(bare.Path));
            Assert.Contains("this gpt_neox model has no tokenizer.json", e.Message, StringComparison.Ordinal);
        }
    }
}
