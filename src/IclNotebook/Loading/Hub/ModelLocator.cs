using IclNotebook.Progress;
namespace IclNotebook.Loading.Hub;

/// <summary>
/// Turns a model name, Hugging Face repository id or folder into a local folder holding the model's
/// <c>config.json</c> and weights (and, beyond GPT-2, its <c>tokenizer.json</c>): a folder is used as
/// is; a short name (<c>gpt2</c>, <c>pythia-160m</c>, ...) or any repository id (<c>owner/name</c>)
/// is taken from the Hugging Face cache (GPT-2s also under the pre-2024 ids Python may have cached)
/// or downloaded at <see cref="HubOptions.Revision"/> (see <see cref="HubModelFiles"/> for the order).
/// </summary>
public static partial class ModelLocator
{
    /// <summary>The files a model folder must hold (the weights may also be a sharded index with its shards).</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } = ["config.json", "model.safetensors"];

    private static readonly string[] PythiaSizes = ["14m", "31m", "70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"];

    /// <summary>Short model names and the hub repository each downloads from (any other repository is given by its id).</summary>
    public static IReadOnlyDictionary<string, string> KnownModels { get; } = new Dictionary<string, string>(
        new KeyValuePair<string, string>[]
        {
            new("gpt2", "openai-community/gpt2"),
            new("gpt2-small", "openai-community/gpt2"),
            new("gpt2-medium", "openai-community/gpt2-medium"),
            new("gpt2-large", "openai-community/gpt2-large"),
            new("gpt2-xl", "openai-community/gpt2-xl"),
            new("distilgpt2", "distilbert/distilgpt2"),
        }
        .Concat(PythiaSizes.Select(size => new KeyValuePair<string, string>($"pythia-{size}", $"EleutherAI/pythia-{size}")))
        .Concat(PythiaSizes.Skip(2).Select(size => new KeyValuePair<string, string>($"pythia-{size}-deduped", $"EleutherAI/pythia-{size}-deduped"))),
        StringComparer.OrdinalIgnoreCase);

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

    private const string KnownList = "gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, pythia-14m ... pythia-12b (and -deduped), " +
        "toy-icl-2l and toy-tasks-2l (shipped in data/models)";

    private const string Accepted = "a Hugging Face repository id such as EleutherAI/pythia-160m, or a folder with config.json and model.safetensors";

    /// <summary>Whether <paramref name="repo"/> is one of the GPT-2 repositories whose tokenizer ships with the library.</summary>
    public static bool IsBundledGpt2(string repo) => LegacyRepos.ContainsKey(repo);

    /// <summary>Absolute, relative ("./", "../") or home ("~/") paths; "owner/name" stays a hub repository id.</summary>
    private static bool LooksLikePath(string s) =>
        Path.IsPathRooted(s) || s.StartsWith("./", StringComparison.Ordinal) || s.StartsWith("../", StringComparison.Ordinal)
        || s.StartsWith('~') || s.StartsWith('.');

    /// <summary>
    /// Checks a model name, repository id or folder without touching the network or the cache: a
    /// folder must hold config.json and the weights, a name must be a short name or look like a
    /// repository id. Returns the full folder path for a folder (Repo null), else the hub repository
    /// to take it from (Folder null).
    /// </summary>
    public static (string? Folder, string? Repo) Check(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath))
            throw new IclException($"No model given. Short names: {KnownList}; or {Accepted}.");
        if (Directory.Exists(nameOrPath)) return (CheckFolder(Path.GetFullPath(nameOrPath)), null);
        if (LooksLikePath(nameOrPath))
            throw new IclException($"Model folder {Path.GetFullPath(nameOrPath)} does not exist. " +
                $"Give a folder with config.json and model.safetensors, a short name ({KnownList}) or a Hugging Face repository id.");
        if (ShippedModels.IsShipped(nameOrPath)) return (CheckFolder(Path.GetFullPath(ShippedModels.Folder(nameOrPath))), null);
        if (KnownModels.TryGetValue(nameOrPath, out var known)) return (null, known);
        var repo = KnownModels.Values.FirstOrDefault(r => string.Equals(r, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (repo is not null) return (null, repo);
        if (RepoId().IsMatch(nameOrPath)) return (null, nameOrPath);
        throw new IclException($"Unknown model '{nameOrPath}'. Short names: {KnownList}; or {Accepted}.");
    }

    /// <summary>A local folder with the config, tokenizer and weights of <paramref name="nameOrPath"/>, downloaded if needed.</summary>
    public static Task<string> ResolveAsync(string nameOrPath, HubOptions options, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default) =>
        ResolveAsync(nameOrPath, options, weights: true, progress, ct);

    /// <summary>
    /// A local folder with the config and tokenizer of <paramref name="nameOrPath"/> but not
    /// necessarily its weights (downloads only the small files), so a task can be tokenized and
    /// checked before a large download.
    /// </summary>
    public static Task<string> ResolveConfigAsync(string nameOrPath, HubOptions options, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default) =>
        ResolveAsync(nameOrPath, options, weights: false, progress, ct);

    private static async Task<string> ResolveAsync(string nameOrPath, HubOptions options, bool weights, IProgress<WorkProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (local, repo) = Check(nameOrPath);
        if (local is not null) return local;

        // A GPT-2 that older huggingface_hub versions cached under its legacy id (models--gpt2) is used from there.
        if (LegacyRepos.TryGetValue(repo!, out var legacy)
            && HubModelFiles.Cached(new HubCache(options.CacheDir), repo!, options.Revision, RequiredFiles) is null
            && HubModelFiles.Cached(new HubCache(options.CacheDir), legacy, options.Revision, RequiredFiles) is { } legacyFolder)
            return legacyFolder;

        using var client = new HubClient(options);
        return await HubModelFiles.FetchAsync(client, repo!, weights, progress, ct).ConfigureAwait(false);
    }

    /// <summary>owner/name with the hub's characters (letters, digits, '-', '_', '.'), no leading '.' or '-'.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")]
    private static partial System.Text.RegularExpressions.Regex RepoId();

    private static string CheckFolder(string folder)
    {
        // A local folder may hold a sharded checkpoint instead of the single weights file.
        var missing = RequiredFiles
            .Where(f => !File.Exists(Path.Combine(folder, f)) && !(f == Checkpoint.SingleFile && Checkpoint.Exists(folder)))
            .ToList();
        if (missing.Count == 0) return folder;
        var hint = File.Exists(Path.Combine(folder, "pytorch_model.bin"))
            ? "it has pytorch_model.bin, but pytorch_model.bin-only folders are not supported: " +
              "convert it to model.safetensors or download the hub's model.safetensors"
            : "pytorch_model.bin-only folders are not supported";
        throw new IclException($"Model folder {folder} lacks {string.Join(" and ", missing)}; it needs config.json and model.safetensors ({hint}).");
    }
}
