using IclNotebook.Loading;
using IclNotebook.Loading.Families;
using IclNotebook.Model;

namespace IclNotebook.Tests.Families;

/// <summary>Loading refuses what does not fit: a checkpoint of another family than its config.json, an unsupported setting.</summary>
public sealed class FamilyLoaderTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-family");

    public void Dispose() => _dir.Dispose();

    private string Folder(string name, string configFrom, string weightsFrom, Func<string, string>? editConfig = null)
    {
        var folder = _dir[name];
        Directory.CreateDirectory(folder);
        var config = File.ReadAllText(Path.Combine(FamilyFixture.Folder(configFrom), "config.json"));
        File.WriteAllText(Path.Combine(folder, "config.json"), editConfig?.Invoke(config) ?? config);
        File.Copy(Path.Combine(FamilyFixture.Folder(weightsFrom), "model.safetensors"), Path.Combine(folder, "model.safetensors"));
        return folder;
    }

    [Fact]
    public void A_checkpoint_of_another_family_is_refused_naming_the_missing_tensor()
    {
        var e = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(Folder("mixed", "tiny-llama-a", "tiny-neox-a")));
        // The NeoX checkpoint's mask buffer is no llama tensor: refused before any weight is converted.
        Assert.Contains("tensor 'gpt_neox.layers.0.attention.bias' is stored as BOOL and is no llama weight or buffer; this checkpoint does not look like the model_type its config.json names", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}",
        "rope_scaling type 'yarn' is not supported; supported: llama3, linear, default (or none)")]
    [InlineData("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}",
        "rope_scaling ({\"rope_type\": \"llama3\", \"factor\": 8.0}) has no 'low_freq_factor'")]
    [InlineData("\"rope_scaling\": {\"type\": \"linear\", \"factor\": -2}", "rope_scaling.factor must be a positive number, not -2")]
    public async Task Unsupported_or_incomplete_rope_scaling_is_refused_before_any_weight_is_read(string scaling, string expected)
    {
        var folder = Folder("scaled", "tiny-llama-a", "tiny-llama-a", c => c.Replace("\"rope_scaling\": null", scaling, StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync(folder));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rope_theta_that_is_no_positive_number_is_refused()
    {
        var folder = Folder("theta", "tiny-llama-a", "tiny-llama-a", c => c.Replace("\"rope_theta\": 10000.0", "\"rope_theta\": -1", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync(folder));
        Assert.Contains("rope_theta must be a positive number, not -1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistral_prompt_longer_than_the_sliding_window_attends_within_the_window()
    {
        var folder = Folder("mistral", "tiny-llama-a", "tiny-llama-a",
            c => c.Replace("\"model_type\": \"llama\"", "\"model_type\": \"mistral\", \"sliding_window\": 16", StringComparison.Ordinal));
        using var mistral = ModelLoader.LoadFolder(folder, WeightProcessing.Raw);
        using var llama = ModelLoader.LoadFolder(FamilyFixture.Folder("tiny-llama-a"), WeightProcessing.Raw);  // the same weights, no window
        Assert.Equal(("mistral", 16), (mistral.Config.ModelType, mistral.Config.WindowOf(1)));
        Assert.True(mistral.Config.NCtx > 16);
        using var tokens = TorchSharp.torch.arange(3, 43, dtype: TorchSharp.torch.int64).unsqueeze(0);          // 40 tokens
        using var windowed = mistral.Run(tokens);
        using var full = llama.Run(tokens);
        // The first 16 positions see every earlier key either way; from the 17th on, the window hides the oldest.
        TensorAssert.Close(full[0, ..16], windowed[0, ..16], 1e-5, "positions inside the window");
        Assert.True((full[0, 16..] - windowed[0, 16..]).abs().max().item<float>() > 1e-3, "positions past the window differ");
    }

    [Fact]
    public void A_qwen3_config_without_head_dim_takes_hugging_faces_default_of_128()
    {
        var folder = Folder("qwen3", "tiny-qwen3-a", "tiny-qwen3-a", c => c.Replace(",\"head_dim\":16", "", StringComparison.Ordinal));
        Assert.DoesNotContain("head_dim", File.ReadAllText(Path.Combine(folder, "config.json")), StringComparison.Ordinal);
        // Qwen3Config's head_dim defaults to 128 (not hidden_size / heads = 8): the 16-wide heads of these weights no longer fit.
        var e = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(folder));
        Assert.Contains("tensor 'layers.0.self_attn.q_proj.weight' has shape [64, 32], but config.json implies [512, 32]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gptj_config_whose_rotary_dim_is_null_is_refused_with_the_fix()
    {
        var folder = Folder("gptj", "tiny-gptj-a", "tiny-gptj-a", c => c.Replace("\"rotary_dim\": 8,", "\"rotary_dim\": null,", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync(folder));
        Assert.Contains("rotary_dim is null; GPT-J rotates the first rotary_dim dimensions of each head (Hugging Face's default is 64): " +
            "set it to a number", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Phi3_long_context_scaling_is_refused_with_the_reason_and_what_loads()
    {
        var folder = Folder("phi3", "tiny-phi3-a", "tiny-phi3-a", c => c.Replace("\"rope_scaling\": null",
            "\"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0], \"long_factor\": [4.0]}", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<IclException>(() => ModelSource.LoadTokenizerAsync(folder));
        Assert.Contains("rope_scaling type 'longrope' is not supported: it is Phi-3's long-context scaling", e.Message, StringComparison.Ordinal);
        Assert.Contains("Phi-3's 4k-context models (rope_scaling null) load", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Gemma 2's config read as Hugging Face reads it: layer_types where given, else even layers slide; null caps mean none.</summary>
    [Fact]
    public void A_gemma2_config_gives_its_windows_by_layer_types_or_hugging_faces_default_and_its_caps()
    {
        var source = File.ReadAllText(Path.Combine(FamilyFixture.Folder("tiny-gemma2-a"), "config.json"));
        ModelConfig Read(string name, Func<string, string> edit)
        {
            var path = Path.Combine(_dir[name], "config.json");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, edit(source));
            return ModelFamilies.ReadConfig(path, name).Config;
        }
        var byDefault = Read("default", c => c);
        Assert.Equal((16, null, 30.0, 50.0, Math.Sqrt(24)), (byDefault.WindowOf(0), byDefault.WindowOf(1), byDefault.OutputLogitsSoftCap,
            byDefault.AttnScoresSoftCap, byDefault.AttnScale));
        Assert.Equal(8.0, byDefault.EmbeddingScale);
        var listed = Read("listed", c => c.Replace("\"sliding_window\": 16,",
            "\"sliding_window\": 16, \"layer_types\": [\"full_attention\", \"sliding_attention\"],", StringComparison.Ordinal));
        Assert.Equal<int?>([null, 16], [listed.WindowOf(0), listed.WindowOf(1)]);
        // Gemma 3 without layer_types: Hugging Face's sliding_window_pattern (default 6), the sixth layer full.
        var gemma3 = Read("gemma3", c => c.Replace("\"model_type\": \"gemma2\"", "\"model_type\": \"gemma3_text\"", StringComparison.Ordinal)
            .Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 7", StringComparison.Ordinal));
        Assert.Equal<int?>([16, 16, 16, 16, 16, null, 16], Enumerable.Range(0, 7).Select(gemma3.WindowOf));
        Assert.Equal((true, 10_000.0, 10_000.0), (gemma3.QkNorm, gemma3.RotaryBase, gemma3.LocalRotaryBase)); // rope_theta as the config gives it
        var uncapped = Read("uncapped", c => c.Replace("\"final_logit_softcapping\": 30.0", "\"final_logit_softcapping\": null", StringComparison.Ordinal));
        Assert.Null(uncapped.OutputLogitsSoftCap);

        var e = Assert.Throws<IclException>(() => Read("wrong", c => c.Replace("\"sliding_window\": 16,",
            "\"sliding_window\": 16, \"layer_types\": [\"sliding_attention\"],", StringComparison.Ordinal)));
        Assert.Contains("'layer_types' must list \"sliding_attention\" or \"full_attention\" for each of the 2 layers; got [\"sliding_attention\"]",
            e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => Read("negative", c => c.Replace("\"attn_logit_softcapping\": 50.0", "\"attn_logit_softcapping\": -1",
            StringComparison.Ordinal)));
        Assert.Contains("'attn_logit_softcapping' must be a positive number or null, not -1", e.Message, StringComparison.Ordinal);
    }
}
