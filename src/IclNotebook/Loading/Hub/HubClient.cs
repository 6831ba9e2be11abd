using IclNotebook.Progress;
namespace IclNotebook.Loading.Hub;

/// <summary>
/// Downloads files from the Hugging Face hub into the shared <c>huggingface_hub</c> cache
/// (see <see cref="HubCache"/>) and returns their snapshot paths. A file already in the cache
/// for the revision is returned without any request; with <see cref="HubOptions.Offline"/> the
/// network is never used. Every failure is an <see cref="IclException"/> naming the URL or file.
/// </summary>
public sealed class HubClient : IDisposable
{
    private readonly HttpClient http;
    private readonly HubTransport transport;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "The handler goes to the HttpClient, which disposes it with itself.")]
    public HubClient(HubOptions options)
        : this(options, new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // redirects are followed by hand, to keep the token on the hub's host
            ConnectTimeout = options.Timeout,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
    {
    }

    internal HubClient(HubOptions options, HttpMessageHandler handler)
    {
        Options = options;
        Cache = new HubCache(options.CacheDir);
        // Timeouts are per step (see HubOptions.Timeout), not for a whole multi-gigabyte body.
        http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        transport = new HubTransport(http, options);
    }

    public HubOptions Options { get; }

    public HubCache Cache { get; }

    /// <summary>
    /// The local snapshot path of <paramref name="file"/> of <paramref name="repo"/> at <see cref="HubOptions.Revision"/>,
    /// downloading it if needed.
    /// </summary>
    public Task<string> DownloadAsync(string repo, string file, IProgress<WorkProgress>? progress = null, CancellationToken ct = default) =>
        DownloadAsync(repo, file, Options.Revision, progress, ct);

    /// <summary>
    /// As <see cref="DownloadAsync(string, string, IProgress{WorkProgress}?, CancellationToken)"/> at an explicit revision
    /// (branch, tag or commit sha).
    /// </summary>
    public async Task<string> DownloadAsync(string repo, string file, string revision, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        Validate(repo, file, revision);
        if (Cache.TryGetCached(repo, revision, file) is { } cached) return cached;
        if (Options.Offline)
        {
            var commit = Cache.ResolveCommit(repo, revision);
            var where = commit is null ? Cache.RepoDir(repo) : Cache.SnapshotPath(repo, commit, file);
            throw new IclException(
                $"'{file}' of {repo} (revision {revision}) is not in the cache at {where}; " +
                "unset HF_HUB_OFFLINE to download it, or download it first. " + ShippedModels.NoNetworkHint);
        }
        var url = transport.ResolveUrl(repo, revision, file);
        var what = $"file '{file}' of repo '{repo}' at revision '{revision}'";
        HubFileInfo info;
        try
        {
            info = await WithRetriesAsync(url, () => transport.HeadAsync(url, what, ct), ct).ConfigureAwait(false);
        }
        catch (HubEntryMissingException e)
        {
            throw new IclException(e.Message, e);
        }
        return await FetchAsync(repo, file, revision, info, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="DownloadAsync(string, string, string, IProgress{WorkProgress}?, CancellationToken)"/>,
    /// but null when the repository has no such file at the revision (HTTP 404 for the file; recorded
    /// in the cache's <c>.no_exist</c>, so it is not asked again) or, offline, when the cache does not hold it.
    /// </summary>
    public async Task<string?> TryDownloadAsync(string repo, string file, string revision, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        Validate(repo, file, revision);
        if (Cache.TryGetCached(repo, revision, file) is { } cached) return cached;
        if (Options.Offline || Cache.IsKnownMissing(repo, revision, file)) return null;
        var url = transport.ResolveUrl(repo, revision, file);
        var what = $"file '{file}' of repo '{repo}' at revision '{revision}'";
        HubFileInfo info;
        try
        {
            info = await WithRetriesAsync(url, () => transport.HeadAsync(url, what, ct), ct).ConfigureAwait(false);
        }
        catch (HubEntryMissingException)
        {
            if (Cache.ResolveCommit(repo, revision) is { } commit) Cache.MarkMissing(repo, commit, file);
            return null;
        }
        return await FetchAsync(repo, file, revision, info, progress, ct).ConfigureAwait(false);
    }

    private async Task<string> FetchAsync(string repo, string file, string revision, HubFileInfo info, IProgress<WorkProgress>? progress,
        CancellationToken ct)
    {
        try
        {
            if (!File.Exists(Cache.BlobPath(repo, info.ETag)))
            {
                // Fetch by commit so the bytes match the commit the HEAD reported, even if the branch moves meanwhile.
                var byCommit = transport.ResolveUrl(repo, info.Commit, file);
                await new BlobDownload(transport, Options, Cache).RunAsync(repo, file, info, byCommit, progress, ct).ConfigureAwait(false);
            }
            else
            {
                progress?.Report(new WorkProgress(file, info.Size, info.Size, WorkProgress.Bytes));
            }
            var snapshot = Cache.LinkSnapshot(repo, info.Commit, file, info.ETag);
            Cache.WriteRef(repo, revision, info.Commit);
            return snapshot;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IclException(
                $"Cannot write '{file}' of {repo} into the cache at {Cache.RepoDir(repo)}: {HubTransport.OneLine(e.Message)}; " +
                "free some disk space or set HF_HUB_CACHE to a writable folder.", e);
        }
    }

    public void Dispose() => http.Dispose();

    private async Task<T> WithRetriesAsync<T>(Uri url, Func<Task<T>> step, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await step().ConfigureAwait(false);
            }
            catch (TransientHubException) when (attempt < Options.MaxRetries)
            {
                await Task.Delay(Options.RetryDelay * Math.Pow(2, attempt), ct).ConfigureAwait(false);
            }
            catch (TransientHubException e)
            {
                throw new IclException(
                    $"Cannot reach {url} ({e.Message}) after {attempt + 1} attempts; check the network and HF_ENDPOINT " +
                    $"({Options.Endpoint}), or set HF_HUB_OFFLINE=1 to use only the cache at {Options.CacheDir}. " + ShippedModels.NoNetworkHint, e);
            }
        }
    }

    private static void Validate(string repo, string file, string revision)
    {
        static bool BadPath(string s) =>
            string.IsNullOrWhiteSpace(s) || s.StartsWith('/') || s.Contains('\\', StringComparison.Ordinal)
            || s.Split('/').Any(part => part is "" or "." or "..");
        if (BadPath(repo) || repo.Count(c => c == '/') > 1)
            throw new IclException($"Invalid repo id '{repo}': expected 'org/name' (for example 'openai-community/gpt2').");
        if (BadPath(file))
            throw new IclException($"Invalid file name '{file}' for repo '{repo}': expected a relative path such as 'config.json'.");
        if (BadPath(revision))
            throw new IclException($"Invalid revision '{revision}' for repo '{repo}': expected a branch, tag or commit sha such as 'main'.");
    }
}
