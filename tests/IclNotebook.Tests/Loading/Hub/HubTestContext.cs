using System.Security.Cryptography;
using IclNotebook.Loading.Hub;

namespace IclNotebook.Tests.Loading.Hub;

/// <summary>A loopback hub holding a small GPT-2-like repo, and a fresh cache folder deleted afterwards.</summary>
public abstract class HubTestContext : IDisposable
{
    internal const string Repo = "openai-community/gpt2";
    /// <summary>A real GPT-2 config (the tiny fixture's): the locator reads it to choose the files to fetch.</summary>
    internal static readonly byte[] Config = File.ReadAllBytes(Path.Combine(Fixtures.TinyModel, "config.json"));
    internal static readonly byte[] Weights = RandomNumberGenerator.GetBytes(300_000);

    internal LoopbackHub Hub { get; } = new();

    private readonly TempFolder _temp = new("icl-hub-test");

    /// <summary>The hub cache: a folder not yet made, in a temporary folder deleted on dispose.</summary>
    internal string CacheDir => _temp["hub"];

    internal HubOptions Options { get; }

    internal string RepoDir => Path.Combine(CacheDir, "models--openai-community--gpt2");

    internal static string WeightsSha => Convert.ToHexStringLower(SHA256.HashData(Weights));

    protected HubTestContext()
    {
        Hub.AddFile(Repo, "config.json", Config, lfs: false);
        Hub.AddFile(Repo, "model.safetensors", Weights, lfs: true);
        Options = new HubOptions
        {
            Endpoint = Hub.Endpoint,
            CacheDir = CacheDir,
            Timeout = TimeSpan.FromSeconds(5),
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
    }

    internal HubClient NewClient(HubOptions? options = null) => new(options ?? Options);

    internal int RequestCount => Hub.Requests.Count;

    /// <summary>Every blob under its final name is complete and verified; nothing dangles in snapshots/.</summary>
    internal void AssertCacheHasNoCorruptFile()
    {
        var blobs = Path.Combine(RepoDir, "blobs");
        if (Directory.Exists(blobs))
        {
            foreach (var blob in Directory.GetFiles(blobs))
            {
                var name = Path.GetFileName(blob);
                if (name.EndsWith(".incomplete", StringComparison.Ordinal)) continue;
                var bytes = File.ReadAllBytes(blob);
                var actual = name.Length == 64 ? Convert.ToHexStringLower(SHA256.HashData(bytes)) : LoopbackHub.GitBlobSha1(bytes);
                Assert.Equal(name, actual);
            }
        }
        var snapshots = Path.Combine(RepoDir, "snapshots");
        if (Directory.Exists(snapshots))
        {
            foreach (var file in Directory.GetFiles(snapshots, "*", SearchOption.AllDirectories))
            {
                Assert.True(File.Exists(file), $"dangling snapshot link {file}");
                var expected = Path.GetFileName(file) == "config.json" ? Config : Weights;
                Assert.Equal(expected, File.ReadAllBytes(file));
            }
        }
    }

    internal static void AssertOneLine(Exception e) =>
        Assert.False(e.Message.Contains('\n', StringComparison.Ordinal) || e.Message.Contains('\r', StringComparison.Ordinal), e.Message);

    internal sealed class ProgressLog : IProgress<IclNotebook.Progress.WorkProgress>
    {
        public List<IclNotebook.Progress.WorkProgress> Reports { get; } = [];

        public void Report(IclNotebook.Progress.WorkProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }

    public void Dispose()
    {
        Hub.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
