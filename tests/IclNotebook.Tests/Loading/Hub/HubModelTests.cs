using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IclNotebook.Loading;
using IclNotebook.Loading.Hub;
using IclNotebook.Tests.Families;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Loading.Hub;

/// <summary>
/// Any hub repository by id, at any revision, through the loopback hub: the config first (an
/// unsupported model_type stops before the weights), the tokenizer files, the single weights file
/// or the index and its shards; served from the family fixtures so the downloads load and run.
/// </summary>
public sealed class HubModelTests : HubTestContext
{
    private static readonly string[] ModelFiles = ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"];

    private const string Pythia = "EleutherAI/pythia-tiny";
    private const string Llama = "TinyLlama/tiny-sharded";

    private static byte[] FixtureFile(string model, string file) => File.ReadAllBytes(Path.Combine(FamilyFixture.Folder(model), file));

    /// <summary>Serves a fixture folder as a hub repository: small files as git files, the weights as LFS.</summary>
    private void Serve(string repo, string model, string branch = "main", params string[] skip)
    {
        foreach (var file in ModelFiles.Except(skip))
            Hub.AddFile(repo, file, FixtureFile(model, file), lfs: file.EndsWith(".safetensors", StringComparison.Ordinal), branch);
    }

    private List<string> RequestedFiles() => Hub.Requests.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal))
        .Select(r => r.Path[(r.Path.IndexOf("/resolve/", StringComparison.Ordinal) + 9)..].Split('/', 2)[1]).Distinct().ToList();

    [Fact]
    public async Task Any_repository_id_downloads_config_tokenizer_and_weights_in_that_order_and_loads_as_its_folder_does()
    {
        Serve(Pythia, "tiny-neox-a");

        var folder = await ModelLocator.ResolveAsync(Pythia, Options);

        Assert.Equal(Path.Combine(CacheDir, "models--EleutherAI--pythia-tiny", "snapshots", Hub.Commit), folder);
        Assert.Equal(["config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors"], RequestedFiles());
        foreach (var file in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors" })
            Assert.Equal(FixtureFile("tiny-neox-a", file), File.ReadAllBytes(Path.Combine(folder, file)));
        using (var downloaded = ModelLoader.LoadFolder(folder))
        using (var fixture = ModelLoader.LoadFolder(FamilyFixture.Folder("tiny-neox-a")))
        {
            var batch = fixture.Tokenizer.ToTokens(["The film was a delight -> positive"]);
            Assert.Equal(batch.Ids, downloaded.Tokenizer.ToTokens(["The film was a delight -> positive"]).Ids);
            using var tokens = batch.ToTensor();
            using var a = downloaded.Run(tokens);
            using var b = fixture.Run(tokens);
            Assert.True(a.allclose(b, rtol: 0, atol: 0));
        }

        int requests = RequestCount;
        Assert.Equal(folder, await ModelLocator.ResolveAsync(Pythia, Options));
        Assert.Equal(folder, await ModelLocator.ResolveAsync(Pythia, Options with { Offline = true }));
        Assert.Equal(requests, RequestCount);
    }

    [Fact]
    public async Task A_sharded_repository_downloads_the_index_and_every_shard_and_asks_for_the_missing_single_file_once()
    {
        using (var shards = new TempFolder("icl-hub-shards"))
        {
            var map = WriteShards(FamilyFixture.Folder("tiny-llama-a"), shards.Path);
            Serve(Llama, "tiny-llama-a", skip: "model.safetensors");
            Hub.AddFile(Llama, Checkpoint.IndexFile, File.ReadAllBytes(shards[Checkpoint.IndexFile]), lfs: false);
            foreach (var shard in map.Values.Distinct())
                Hub.AddFile(Llama, shard, File.ReadAllBytes(shards[shard]), lfs: true);

            var folder = await ModelLocator.ResolveAsync(Llama, Options);

            Assert.Equal(["config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors", Checkpoint.IndexFile,
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], RequestedFiles());
            using (var downloaded = ModelLoader.LoadFolder(folder))
            using (var fixture = ModelLoader.LoadFolder(FamilyFixture.Folder("tiny-llama-a")))
            using (var tokens = tensor(new long[] { 1, 450, 2706, 471, 263, 15319 }).unsqueeze(0))
            using (var a = downloaded.Run(tokens))
            using (var b = fixture.Run(tokens))
                Assert.True(a.allclose(b, rtol: 0, atol: 0));

            // The hub said there is no model.safetensors; that is remembered, so a second run makes no request at all.
            int requests = RequestCount;
            Assert.True(File.Exists(Path.Combine(CacheDir, "models--TinyLlama--tiny-sharded", ".no_exist", Hub.Commit, "model.safetensors")));
            Assert.Equal(folder, await ModelLocator.ResolveAsync(Llama, Options));
            Assert.Equal(folder, await ModelLocator.ResolveAsync(Llama, Options with { Offline = true }));
            Assert.Equal(requests, RequestCount);
        }
    }

    [Fact]
    public async Task An_index_naming_a_shard_the_repository_lacks_names_that_shard()
    {
        using (var shards = new TempFolder("icl-hub-shards"))
        {
            var map = WriteShards(FamilyFixture.Folder("tiny-llama-a"), shards.Path);
            Serve(Llama, "tiny-llama-a", skip: "model.safetensors");
            Hub.AddFile(Llama, Checkpoint.IndexFile, File.ReadAllBytes(shards[Checkpoint.IndexFile]), lfs: false);
            Hub.AddFile(Llama, "model-00001-of-00002.safetensors", File.ReadAllBytes(shards["model-00001-of-00002.safetensors"]), lfs: true);

            var e = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync(Llama, Options));

            Assert.Contains("404", e.Message, StringComparison.Ordinal);
            Assert.Contains("file 'model-00002-of-00002.safetensors' of repo 'TinyLlama/tiny-sharded'", e.Message, StringComparison.Ordinal);
            AssertOneLine(e);
        }
    }

    [Fact]
    public async Task An_unsupported_model_type_is_refused_before_any_weight_or_tokenizer_is_requested()
    {
        Hub.AddFile("google-bert/bert-base-uncased", "config.json", Encoding.UTF8.GetBytes("{\"model_type\": \"bert\", \"hidden_size\": 768}"), lfs: false);
        Hub.AddFile("google-bert/bert-base-uncased", "model.safetensors", RandomNumberGenerator.GetBytes(1000), lfs: true);

        var e = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync("google-bert/bert-base-uncased", Options));

        Assert.Contains("unsupported architecture (model_type 'bert'). Supported model types: gpt2, gpt_neox, gptj, llama, mistral, qwen2, qwen3, phi3, olmo2, gemma2, gemma3_text, gemma3.", e.Message, StringComparison.Ordinal);
        Assert.Equal(["config.json"], RequestedFiles());
        Assert.False(Directory.Exists(Path.Combine(CacheDir, "models--google-bert--bert-base-uncased", "snapshots", Hub.Commit, "model.safetensors")));
    }

    [Fact]
    public async Task A_revision_takes_that_branchs_files_and_records_its_ref()
    {
        Serve(Pythia, "tiny-neox-a");
        var step = Hub.AddBranch("step3000");
        var earlyWeights = RandomNumberGenerator.GetBytes(50_000);
        Serve(Pythia, "tiny-neox-a", "step3000", "model.safetensors");
        Hub.AddFile(Pythia, "model.safetensors", earlyWeights, lfs: true, "step3000");

        var folder = await ModelLocator.ResolveAsync(Pythia, Options with { Revision = "step3000" });

        Assert.Equal(Path.Combine(CacheDir, "models--EleutherAI--pythia-tiny", "snapshots", step), folder);
        Assert.Equal(earlyWeights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(step, File.ReadAllText(Path.Combine(CacheDir, "models--EleutherAI--pythia-tiny", "refs", "step3000")));
        Assert.All(Hub.Requests.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)),
            r => Assert.True(r.Path.Contains("/resolve/step3000/", StringComparison.Ordinal) || r.Path.Contains($"/resolve/{step}/", StringComparison.Ordinal), r.Path));
        Assert.NotEqual(folder, await ModelLocator.ResolveAsync(Pythia, Options)); // main is another commit
    }

    [Fact]
    public async Task An_unknown_revision_or_repository_says_which_it_is()
    {
        Serve(Pythia, "tiny-neox-a");

        var revision = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync(Pythia, Options with { Revision = "step9" }));
        var repo = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync("EleutherAI/pythia-nonexistent", Options));

        Assert.Contains("the revision of file 'config.json' of repo 'EleutherAI/pythia-tiny' at revision 'step9' does not exist; check --revision", revision.Message, StringComparison.Ordinal);
        Assert.Contains("the repository of file 'config.json' of repo 'EleutherAI/pythia-nonexistent' at revision 'main' does not exist", repo.Message, StringComparison.Ordinal);
        AssertOneLine(revision);
        AssertOneLine(repo);
    }

    [Fact]
    public async Task A_repository_without_tokenizer_json_or_safetensors_is_refused_with_what_it_lacks()
    {
        Serve("someone/no-tokenizer", "tiny-neox-a", skip: "tokenizer.json");
        Serve("someone/bin-only", "tiny-neox-a", skip: "model.safetensors");
        Hub.AddFile("someone/bin-only", "pytorch_model.bin", RandomNumberGenerator.GetBytes(1000), lfs: true);

        var tokenizer = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync("someone/no-tokenizer", Options));
        Assert.Contains("has no tokenizer.json", tokenizer.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("model.safetensors", RequestedFiles());

        var weights = await Assert.ThrowsAsync<IclException>(() => ModelLocator.ResolveAsync("someone/bin-only", Options));
        Assert.Contains("has neither model.safetensors nor model.safetensors.index.json; only safetensors checkpoints are supported (pytorch_model.bin is not)", weights.Message, StringComparison.Ordinal);
        AssertOneLine(tokenizer);
        AssertOneLine(weights);
    }

    [Fact]
    public async Task A_hub_models_tokenizer_comes_without_its_weights()
    {
        Serve(Pythia, "tiny-neox-a");

        var tokenizer = await ModelSource.LoadTokenizerAsync(Pythia, Options);

        Assert.IsType<IclNotebook.Tokenization.HuggingFace.HfTokenizer>(tokenizer);
        Assert.DoesNotContain("model.safetensors", RequestedFiles());
        var fixture = await ModelSource.LoadTokenizerAsync(FamilyFixture.Folder("tiny-neox-a"));
        Assert.Equal(fixture.ToTokens(["Review: a joy -> positive"]).Ids, tokenizer.ToTokens(["Review: a joy -> positive"]).Ids);
    }

    [Fact]
    public void Pythia_short_names_and_repository_ids_name_hub_repositories()
    {
        Assert.Equal("EleutherAI/pythia-160m", ModelLocator.Check("pythia-160m").Repo);
        Assert.Equal("EleutherAI/pythia-1.4b-deduped", ModelLocator.Check("pythia-1.4b-deduped").Repo);
        Assert.Equal("EleutherAI/pythia-14m", ModelLocator.Check("Pythia-14M").Repo);
        Assert.Equal("Qwen/Qwen2.5-0.5B", ModelLocator.Check("Qwen/Qwen2.5-0.5B").Repo);
        Assert.Equal("HuggingFaceTB/SmolLM2-135M", ModelLocator.Check("HuggingFaceTB/SmolLM2-135M").Repo);
        Assert.Equal("openai-community/gpt2", ModelLocator.Check("OpenAI-Community/GPT2").Repo);
        foreach (var bad in new[] { "pythia-160", "a/b/c", "owner/-name", "owner /name" })
            Assert.StartsWith($"Unknown model '{bad}'.", Assert.Throws<IclException>(() => ModelLocator.Check(bad)).Message, StringComparison.Ordinal);
    }

    /// <summary>The fixture's tensors split into two shards (alternating) with an index; returns the weight map.</summary>
    private static Dictionary<string, string> WriteShards(string model, string folder)
    {
        using var source = SafetensorsFile.Open(Path.Combine(model, "model.safetensors"));
        var names = source.Tensors.Keys.ToList();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int shard = 0; shard < 2; shard++)
        {
            var file = $"model-0000{shard + 1}-of-00002.safetensors";
            var mine = names.Where((_, i) => i % 2 == shard).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, file),
                mine.Select(n => (n, source.Entry(n).Shape.ToArray(), (ReadOnlyMemory<float>)source.ReadFloat32(n))),
                new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var n in mine) map[n] = file;
        }
        File.WriteAllText(Path.Combine(folder, Checkpoint.IndexFile), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        return map;
    }
}
