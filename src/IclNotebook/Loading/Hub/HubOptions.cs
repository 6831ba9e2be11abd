namespace IclNotebook.Loading.Hub;

/// <summary>
/// Where and how to reach the Hugging Face hub, with the environment variables and defaults of
/// Python's <c>huggingface_hub</c>, so both share one cache. Change a copy with <c>with</c>.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The hub's base URL. From <c>HF_ENDPOINT</c>; default <c>https://huggingface.co</c>.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>
    /// Access token for gated or private repos, sent as <c>Authorization: Bearer</c> to the
    /// endpoint's host only (never to a CDN it redirects to). From <c>HF_TOKEN</c>; default none.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// Never touch the network; only the cache is read. From <c>HF_HUB_OFFLINE</c>
    /// (<c>1</c>, <c>true</c>, <c>yes</c> or <c>on</c>); default <c>false</c>.
    /// </summary>
    public bool Offline { get; init; }

    /// <summary>
    /// The hub cache (<c>models--{org}--{name}/...</c>). <c>HF_HUB_CACHE</c>, else
    /// <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public string CacheDir { get; init; } = DefaultCacheDir(Environment.GetEnvironmentVariable);

    /// <summary>Branch, tag or commit sha to download. Default <c>main</c>.</summary>
    public string Revision { get; init; } = "main";

    /// <summary>
    /// Limit for each network step: connecting, waiting for response headers, and each read
    /// of a body (a stalled download fails after this long without data, however large the
    /// file). Default 10 seconds, as <c>huggingface_hub</c>'s download timeout.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Retries after a transient failure (HTTP 5xx or 429, connection reset, truncated body,
    /// timeout); each retry resumes from the bytes already written. Default 3.
    /// </summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Wait before the first retry, doubled for each further one. Default 1 second.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Options from <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>, <c>HF_HUB_OFFLINE</c>, <c>HF_HUB_CACHE</c> and <c>HF_HOME</c>.</summary>
    public static HubOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    internal static HubOptions FromEnvironment(Func<string, string?> getEnv)
    {
        var endpoint = getEnv("HF_ENDPOINT");
        var token = getEnv("HF_TOKEN");
        return new HubOptions
        {
            Endpoint = string.IsNullOrWhiteSpace(endpoint) ? DefaultEndpoint : endpoint.Trim().TrimEnd('/'),
            Token = string.IsNullOrWhiteSpace(token) ? null : token.Trim(),
            Offline = IsTrue(getEnv("HF_HUB_OFFLINE")),
            CacheDir = DefaultCacheDir(getEnv),
        };
    }

    internal static string DefaultCacheDir(Func<string, string?> getEnv)
    {
        var hubCache = getEnv("HF_HUB_CACHE");
        if (!string.IsNullOrEmpty(hubCache)) return ExpandHome(hubCache);
        var hfHome = getEnv("HF_HOME");
        if (!string.IsNullOrEmpty(hfHome)) return Path.Combine(ExpandHome(hfHome), "hub");
        // huggingface_hub also honours XDG_CACHE_HOME for its default HF_HOME.
        var xdg = getEnv("XDG_CACHE_HOME");
        var cacheHome = !string.IsNullOrEmpty(xdg)
            ? ExpandHome(xdg)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cacheHome, "huggingface", "hub");
    }

    private static bool IsTrue(string? value) =>
        value?.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.TrimStart('~', '/'))
            : Path.GetFullPath(path);
}
