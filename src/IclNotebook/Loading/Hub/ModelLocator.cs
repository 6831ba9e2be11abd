using IclNotebook.Progress;
namespace IclNotebook.Loading.Hub;

/// <summary>
/// Turns a model name or folder into a local folder holding <c>config.json</c> and
/// <c>model.safetensors</c>: a folder is used as is; a known name is taken from the Hugging Face
/// cache (also under the pre-2024 repo ids Python may have cached) or downloaded.
/// </summary>
public static class ModelLocator
{
    /// <summary>The files a model folder must hold.</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } = ["config.json", "model.safetensors"];

    /// <summary>Known model names and the hub repo each downloads from.</summary>
    public static IReadOnlyDictionary<string, string> KnownModels { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt2"] = "openai-community/gpt2",
        ["gpt2-small"] = "openai-community/gpt2",
        ["gpt2-medium"] = "openai-community/gpt2-medium",
        ["gpt2-large"] = "openai-community/gpt2-large",
        ["gpt2-xl"] = "openai-community/gpt2-xl",
        ["distilgpt2"] = "distilbert/distilgpt2",
    };

    /// <summary>
    /// Repo ids older <c>huggingface_hub</c> versions cached these models under
    /// (<c>models--gpt2</c>, <c>models--distilgpt2</c>, ...), looked up before downloading.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> LegacyRepos { get; } = new Dictionary<string, string>
    {
        ["openai-community/gpt2"] = "gpt2",
        ["openai-community/gpt2-medium"] = "gpt2-medium",
        ["openai-community/gpt2-large"] = "gpt2-large",
        ["openai-community/gpt2-xl"] = "gpt2-xl",
        ["distilbert/distilgpt2"] = "distilgpt2",
    };

    private const string KnownList = "gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2";

    /// <summary>Absolute, relative ("./", "../") or home ("~/") paths; "owner/name" stays a hub repository id.</summary>
    private static bool LooksLikePath(string s) =>
        Path.IsPathRooted(s) || s.StartsWith("./", StringComparison.Ordinal) || s.StartsWith("../", StringComparison.Ordinal) || s.StartsWith('~') || s.StartsWith('.');

    /// <summary>
    /// Checks a model name or folder without touching the network or the cache: a folder must hold
    /// config.json and model.safetensors, a name must be known. Returns the full folder path for a
    /// folder (Repo null), else the hub repository to take it from (Folder null).
    /// </summary>
    public static (string? Folder, string? Repo) Check(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath))
            throw new IclException($"No model given. Known models: {KnownList}; or pass a folder with config.json and model.safetensors.");
        if (Directory.Exists(nameOrPath)) return (CheckFolder(Path.GetFullPath(nameOrPath)), null);
        if (LooksLikePath(nameOrPath))
            throw new IclException($"Model folder {Path.GetFullPath(nameOrPath)} does not exist. Give a folder with config.json and model.safetensors, or a known model: {KnownList}.");
        var repo = KnownModels.TryGetValue(nameOrPath, out var known) ? known
            : KnownModels.Values.FirstOrDefault(r => string.Equals(r, nameOrPath, StringComparison.OrdinalIgnoreCase));
        return repo is null
            ? throw new IclException($"Unknown model '{nameOrPath}'. Known models: {KnownList}; or pass a folder with config.json and model.safetensors.")
            : (null, repo);
    }

    /// <summary>A local folder with <c>config.json</c> and <c>model.safetensors</c> for <paramref name="nameOrPath"/>.</summary>
    public static async Task<string> ResolveAsync(string nameOrPath, HubOptions options, IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (local, repo) = Check(nameOrPath);
        if (local is not null) return local;

        var cache = new HubCache(options.CacheDir);
        foreach (var candidate in LegacyRepos.TryGetValue(repo!, out var legacy) ? [repo!, legacy] : new[] { repo! })
        {
            if (CachedFolder(cache, candidate, options.Revision) is { } folder) return folder;
        }

        using var client = new HubClient(options);
        var config = await client.DownloadAsync(repo!, RequiredFiles[0], progress, ct).ConfigureAwait(false);
        var snapshot = Path.GetDirectoryName(config)!;
        // Take every other file from the same commit, even if the branch moved in between.
        var commit = Path.GetFileName(snapshot);
        foreach (var file in RequiredFiles.Skip(1))
            await client.DownloadAsync(repo!, file, commit, progress, ct).ConfigureAwait(false);
        return snapshot;
    }

    private static string? CachedFolder(HubCache cache, string repo, string revision)
    {
        var paths = RequiredFiles.Select(f => cache.TryGetCached(repo, revision, f)).ToList();
        if (paths.Any(p => p is null)) return null;
        var folders = paths.Select(p => Path.GetDirectoryName(p!)!).Distinct().ToList();
        return folders.Count == 1 ? folders[0] : null;
    }

    private static string CheckFolder(string folder)
    {
        // A local folder may hold a sharded checkpoint instead of the single weights file.
        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(folder, f)) && !(f == Checkpoint.SingleFile && Checkpoint.Exists(folder))).ToList();
        if (missing.Count == 0) return folder;
        var hint = File.Exists(Path.Combine(folder, "pytorch_model.bin"))
            ? "it has pytorch_model.bin, but pytorch_model.bin-only folders are not supported: convert it to model.safetensors or download the hub's model.safetensors"
            : "pytorch_model.bin-only folders are not supported";
        throw new IclException($"Model folder {folder} lacks {string.Join(" and ", missing)}; it needs config.json and model.safetensors ({hint}).");
    }
}
