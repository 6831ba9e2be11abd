using IclNotebook.Loading.Hub;

namespace IclNotebook.Tests.Loading.Hub;

public sealed class ModelLocatorTests : HubTestContext
{
    [Fact]
    public async Task A_folder_with_both_files_is_used_as_is()
    {
        var folder = Directory.CreateDirectory(Path.Combine(CacheDir, "my-model")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "config.json"), Config);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), Weights);

        Assert.Equal(folder, await ModelLocator.ResolveAsync(folder, Options));
        Assert.Equal(0, RequestCount);
    }

    [Fact]
    public async Task A_folder_without_config_json_names_the_missing_file()
    {
        var folder = Directory.CreateDirectory(Path.Combine(CacheDir, "bin-only")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), Weights);

        var e = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync(folder, Options));

        Assert.Contains(folder, e.Message, StringComparison.Ordinal);
        Assert.Contains("lacks config.json and model.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("pytorch_model.bin", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
    }

    [Fact]
    public async Task An_unknown_name_lists_the_known_models()
    {
        var e = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync("gpt3", Options));

        Assert.Equal(
            "Unknown model 'gpt3'. Short names: gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, pythia-14m ... pythia-12b (and -deduped), toy-icl-2l and toy-tasks-2l (shipped in data/models); " +
            "or a Hugging Face repository id such as EleutherAI/pythia-160m, or a folder with config.json and model.safetensors.",
            e.Message);
        Assert.Equal(0, RequestCount);
    }

    [Fact]
    public void Known_models_map_to_their_current_hub_repos()
    {
        Assert.Equal("openai-community/gpt2", ModelLocator.KnownModels["gpt2"]);
        Assert.Equal("openai-community/gpt2", ModelLocator.KnownModels["gpt2-small"]);
        Assert.Equal("openai-community/gpt2-xl", ModelLocator.KnownModels["gpt2-xl"]);
        Assert.Equal("distilbert/distilgpt2", ModelLocator.KnownModels["distilgpt2"]);
    }

    [Fact]
    public async Task The_shipped_toy_model_is_found_by_name_in_the_checkout_without_the_hub()
    {
        var (folder, repo) = ModelLocator.Check("toy-icl-2l");
        Assert.Null(repo);
        Assert.Equal(Path.Combine("data", "models", "toy-icl-2l"), Path.GetRelativePath(Path.GetFullPath(Path.Combine(folder!, "..", "..", "..")), folder!));
        Assert.Equal(folder, await ModelLocator.ResolveAsync("TOY-ICL-2L", Options));
        Assert.Equal(0, RequestCount);
    }

    [Fact]
    public async Task A_known_name_is_downloaded_through_the_hub_then_found_in_the_cache()
    {
        var progress = new ProgressLog();

        var folder = await ModelLocator.ResolveAsync("gpt2-small", Options, progress);

        Assert.Equal(Path.Combine(RepoDir, "snapshots", Hub.Commit), folder);
        Assert.Equal(Config, File.ReadAllBytes(Path.Combine(folder, "config.json")));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Contains(progress.Reports, p => p.Task == "model.safetensors" && p.Done == Weights.Length);
        int requests = RequestCount;

        Assert.Equal(folder, await ModelLocator.ResolveAsync("gpt2", Options with { Offline = true }));
        Assert.Equal(folder, await ModelLocator.ResolveAsync("gpt2", Options));
        Assert.Equal(requests, RequestCount);
        AssertCacheHasNoCorruptFile();
    }

    [Fact]
    public async Task A_legacy_models__gpt2_cache_folder_from_older_huggingface_hub_is_reused()
    {
        // The layout huggingface_hub wrote when the repo id was plain "gpt2".
        const string commit = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
        var legacy = Path.Combine(CacheDir, "models--gpt2");
        var snapshot = Directory.CreateDirectory(Path.Combine(legacy, "snapshots", commit)).FullName;
        Directory.CreateDirectory(Path.Combine(legacy, "refs"));
        File.WriteAllText(Path.Combine(legacy, "refs", "main"), commit);
        File.WriteAllBytes(Path.Combine(snapshot, "config.json"), Config);
        File.WriteAllBytes(Path.Combine(snapshot, "model.safetensors"), Weights);

        Assert.Equal(snapshot, await ModelLocator.ResolveAsync("gpt2", Options));
        Assert.Equal(snapshot, await ModelLocator.ResolveAsync("gpt2", Options with { Offline = true }));
        Assert.Equal(0, RequestCount);
    }

    [Fact]
    public async Task Offline_and_not_cached_explains_the_fix()
    {
        var e = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync("distilgpt2", Options with { Offline = true }));

        Assert.Contains("models--distilbert--distilgpt2", e.Message, StringComparison.Ordinal);
        Assert.Contains("HF_HUB_OFFLINE", e.Message, StringComparison.Ordinal);
        AssertOneLine(e);
        Assert.Equal(0, RequestCount);
    }
}
