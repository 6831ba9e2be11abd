using IclNotebook.Loading.Families;
using IclNotebook.Progress;

namespace IclNotebook.Loading.Hub;

/// <summary>
/// The files the kit reads from a model repository on the hub, fetched in the order that refuses a
/// model early: <c>config.json</c> first (an unsupported <c>model_type</c> or config stops here,
/// before anything large), then the tokenizer (<c>tokenizer_config.json</c> if the repository has
/// one, <c>tokenizer.json</c>; GPT-2's ships with the library), then the weights: the single
/// <c>model.safetensors</c>, else <c>model.safetensors.index.json</c> and every shard it names.
/// Every file after the config is taken from the commit the config came from, even if the branch
/// moves meanwhile.
/// </summary>
internal static class HubModelFiles
{
    public const string ConfigFile = "config.json";
    public const string TokenizerFile = "tokenizer.json";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>
    /// The snapshot folder of <paramref name="repo"/> at the client's revision with the config, the
    /// tokenizer and (when <paramref name="weights"/>) the checkpoint, downloading what the cache lacks.
    /// </summary>
    public static async Task<string> FetchAsync(HubClient client, string repo, bool weights, IProgress<WorkProgress>? progress, CancellationToken ct)
    {
        var config = await client.DownloadAsync(repo, ConfigFile, progress, ct).ConfigureAwait(false);
        var snapshot = Path.GetDirectoryName(config)!;
        var commit = Path.GetFileName(snapshot);
        var (cfg, _) = ModelFamilies.ReadConfig(config, repo);
        string where = $"{repo} at revision {client.Options.Revision} (commit {commit})";

        if (cfg.ModelType != "gpt2")
        {
            await client.TryDownloadAsync(repo, TokenizerConfigFile, commit, progress, ct).ConfigureAwait(false);
            if (await client.TryDownloadAsync(repo, TokenizerFile, commit, progress, ct).ConfigureAwait(false) is null)
                throw client.Options.Offline
                    ? NotCached(client, repo, TokenizerFile)
                    : new IclException($"{where} has no {TokenizerFile}; the kit reads a {cfg.ModelType} model's tokenizer from {TokenizerFile} " +
                        "(vocab/merges or tokenizer.model alone are not supported). " +
                        "Save one with transformers' AutoTokenizer.from_pretrained(...).save_pretrained(folder) and pass the folder.");
        }
        if (!weights) return snapshot;

        if (await client.TryDownloadAsync(repo, Checkpoint.SingleFile, commit, progress, ct).ConfigureAwait(false) is not null) return snapshot;
        var index = await client.TryDownloadAsync(repo, Checkpoint.IndexFile, commit, progress, ct).ConfigureAwait(false);
        if (index is null)
            throw client.Options.Offline
                ? NotCached(client, repo, Checkpoint.SingleFile)
                : new IclException($"{where} has neither {Checkpoint.SingleFile} nor {Checkpoint.IndexFile}; " +
                    "only safetensors checkpoints are supported (pytorch_model.bin is not). " +
                    "Pick a revision that has safetensors weights, or convert the checkpoint and pass its folder.");
        foreach (var shard in Checkpoint.ShardFiles(index))
            await client.DownloadAsync(repo, shard, commit, progress, ct).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>
    /// The snapshot folder when <paramref name="files"/> are all cached at <paramref name="revision"/>
    /// in one snapshot, without any request; null otherwise.
    /// </summary>
    public static string? Cached(HubCache cache, string repo, string revision, IEnumerable<string> files)
    {
        var paths = files.Select(f => cache.TryGetCached(repo, revision, f)).ToList();
        if (paths.Any(p => p is null)) return null;
        var folders = paths.Select(p => Path.GetDirectoryName(p!)!).Distinct().ToList();
        return folders.Count == 1 ? folders[0] : null;
    }

    private static IclException NotCached(HubClient client, string repo, string file) => new(
        $"'{file}' of {repo} (revision {client.Options.Revision}) is not in the cache at {client.Cache.RepoDir(repo)}; " +
        "unset HF_HUB_OFFLINE to download it, or download it first. " + ShippedModels.NoNetworkHint);
}
