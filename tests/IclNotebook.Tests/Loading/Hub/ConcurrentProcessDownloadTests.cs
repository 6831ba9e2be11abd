using IclNotebook.Loading;
using IclNotebook.Tests.Cli;
using IclNotebook.Tests.Families;

namespace IclNotebook.Tests.Loading.Hub;

/// <summary>
/// Shards of a cluster run share one model cache on a shared filesystem: four `icl download`
/// processes started together on the same model (served slowly by the loopback hub, so the
/// downloads overlap) end with one intact cache entry, the weights fetched once.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class ConcurrentProcessDownloadTests : HubTestContext
{
    private const string Pythia = "EleutherAI/pythia-tiny";

    [Fact]
    public async Task Four_processes_downloading_one_model_leave_one_intact_cache_entry()
    {
        var folder = FamilyFixture.Folder("tiny-neox-a");
        foreach (var file in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors" })
            Hub.AddFile(Pythia, file, File.ReadAllBytes(Path.Combine(folder, file)), lfs: file.EndsWith(".safetensors", StringComparison.Ordinal));
        Hub.BytesPerSecond = 8_000_000; // 13.6 MB of weights: about 1.7 s, longer than the processes take to start
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = Hub.Endpoint, ["HF_HUB_CACHE"] = CacheDir, ["HF_HUB_OFFLINE"] = "0" };

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => IclProcess.Run(["download", Pythia], env))));

        foreach (var run in runs) Assert.True(run.ExitCode == 0, run.StdErr);
        var snapshot = Path.Combine(CacheDir, "models--EleutherAI--pythia-tiny", "snapshots", Hub.Commit);
        Assert.All(runs, r => Assert.Equal(snapshot, r.StdOut.Trim()));
        // One entry: one snapshot, each file's blob once, nothing half-written left behind.
        var repoDir = Path.Combine(CacheDir, "models--EleutherAI--pythia-tiny");
        Assert.Single(Directory.GetDirectories(Path.Combine(repoDir, "snapshots")));
        var blobs = Directory.GetFiles(Path.Combine(repoDir, "blobs"));
        Assert.Equal(4, blobs.Length);
        Assert.DoesNotContain(blobs, b => b.EndsWith(".incomplete", StringComparison.Ordinal));
        foreach (var file in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, file)), File.ReadAllBytes(Path.Combine(snapshot, file)));
        // The lock made the other three wait for the first download instead of fetching the weights again.
        Assert.Single(Hub.Requests, r => r.Method == "GET" && r.Path.StartsWith("/cdn/", StringComparison.Ordinal));
        using var model = ModelLoader.LoadFolder(snapshot);
        Assert.Equal("gpt_neox", model.Config.ModelType);
    }
}
