using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace IclNotebook.Loading.Hub;

/// <summary>What a <c>HEAD .../resolve/{revision}/{file}</c> tells: commit, blob etag and size.</summary>
internal sealed record HubFileInfo(string Commit, string ETag, long Size);

/// <summary>HTTP 404 for a file of a repository that exists at the revision: the hub says <c>X-Error-Code: EntryNotFound</c> (or nothing).</summary>
internal sealed class HubEntryMissingException(string message) : Exception(message);

/// <summary>A failure worth retrying (HTTP 5xx/429, reset, truncated body, timeout).</summary>
internal sealed class TransientHubException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// HTTP for the hub: HEAD for metadata, GET with manual redirects so the token only goes to
/// the endpoint's own host, a timeout per step, and status codes mapped to clear errors.
/// </summary>
internal sealed class HubTransport(HttpClient http, HubOptions options)
{
    private const int MaxRedirects = 10;
    private readonly Uri endpoint = new(options.Endpoint.TrimEnd('/') + "/");

    public Uri ResolveUrl(string repo, string revision, string file)
    {
        string escapedRevision = Uri.EscapeDataString(revision);
        string escapedPath = string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
        return new(endpoint, $"{repo}/resolve/{escapedRevision}/{escapedPath}");
    }

    /// <summary>
    /// HEAD without following the CDN redirect (its headers are on the redirect itself); relative redirects (renamed repos)
    /// are followed.
    /// </summary>
    public async Task<HubFileInfo> HeadAsync(Uri url, string what, CancellationToken ct)
    {
        var current = url;
        for (int hop = 0; ; hop++)
        {
            using var request = NewRequest(HttpMethod.Head, current);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            using var response = await SendAsync(request, ct).ConfigureAwait(false);
            var location = response.Headers.Location;
            if (IsRedirect(response.StatusCode) && location is not null && !location.IsAbsoluteUri && hop < MaxRedirects)
            {
                current = new Uri(current, location);
                continue;
            }
            if (!IsRedirect(response.StatusCode)) EnsureSuccess(response, current, what);
            return ReadFileInfo(response, current);
        }
    }

    /// <summary>GET from byte <paramref name="from"/>, following redirects; the caller checks 200 vs 206.</summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, long from, string what, CancellationToken ct)
    {
        var current = url;
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = NewRequest(HttpMethod.Get, current);
            if (from > 0) request.Headers.Range = new RangeHeaderValue(from, null);
            var response = await SendAsync(request, ct).ConfigureAwait(false);
            if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
            {
                response.Dispose();
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }
            try
            {
                EnsureSuccess(response, current, what);
            }
            catch
            {
                response.Dispose();
                throw;
            }
            return response;
        }
        throw new IclException($"Too many redirects (more than {MaxRedirects}) downloading {url}; check HF_ENDPOINT ({options.Endpoint}).");
    }

    /// <summary>Reads a body chunk, failing with a transient error when no data arrives within the timeout.</summary>
    public async Task<int> ReadAsync(Stream body, Memory<byte> buffer, CancellationTokenSource readTimeout, CancellationToken ct)
    {
        readTimeout.CancelAfter(options.Timeout);
        try
        {
            return await body.ReadAsync(buffer, readTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TransientHubException(string.Create(CultureInfo.InvariantCulture, $"no data for {options.Timeout.TotalSeconds:0.#} s"), e);
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("IclNotebook", "1.0"));
        // The token is for the hub only: a CDN on another host (or a hostile redirect) never sees it.
        if (options.Token is { Length: > 0 } token && SameOrigin(url, endpoint))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            string message = string.Create(CultureInfo.InvariantCulture, $"no response within {options.Timeout.TotalSeconds:0.#} s");
            throw new TransientHubException(message, e);
        }
        catch (HttpRequestException e)
        {
            throw new TransientHubException(OneLine(e.Message), e);
        }
    }

    private void EnsureSuccess(HttpResponseMessage response, Uri url, string what)
    {
        int code = (int)response.StatusCode;
        if (code is >= 200 and < 300) return;
        throw code switch
        {
            401 or 403 => new IclException(
                $"HTTP {code} for {url}: {what} may be gated or private; " +
                (options.Token is null
                    ? "accept its terms on the hub and set HF_TOKEN to an access token."
                    : "check that the token in HF_TOKEN has access (and that you accepted its terms on the hub).")),
            404 => NotFound(response, url, what),
            429 or >= 500 => new TransientHubException($"HTTP {code} from {url}"),
            _ => new IclException($"HTTP {code} for {url} ({what}); check HF_ENDPOINT ({options.Endpoint}) and the repo name."),
        };
    }

    /// <summary>The hub's <c>X-Error-Code</c> tells a missing repository or revision from a missing file.</summary>
    private static Exception NotFound(HttpResponseMessage response, Uri url, string what) => Header(response, "X-Error-Code") switch
    {
        "RepoNotFound" => new IclException($"HTTP 404 for {url}: the repository of {what} does not exist (or is private: set HF_TOKEN); " +
            "check the repository id, e.g. EleutherAI/pythia-160m."),
        "RevisionNotFound" => new IclException($"HTTP 404 for {url}: the revision of {what} does not exist; " +
            "check --revision (a branch, tag or commit of the repository, e.g. main or step3000)."),
        _ => new HubEntryMissingException($"HTTP 404 for {url}: {what} was not found; check the repo name, file name and revision."),
    };

    private HubFileInfo ReadFileInfo(HttpResponseMessage response, Uri url)
    {
        var commit = Header(response, "X-Repo-Commit");
        var etag = NormalizeETag(Header(response, "X-Linked-Etag") ?? Header(response, "ETag"));
        var sizeText = Header(response, "X-Linked-Size");
        long? size = long.TryParse(sizeText, out var linked) ? linked : response.Content.Headers.ContentLength;
        if (commit is null || etag is null || size is null)
        {
            var headers = new[] { commit is null ? "X-Repo-Commit" : null, etag is null ? "ETag" : null, size is null ? "Content-Length" : null };
            var missing = string.Join(", ", headers.OfType<string>());
            throw new IclException($"{url} answered without {missing}: HF_ENDPOINT ({options.Endpoint}) may not be a Hugging Face hub, " +
                "or a proxy strips these headers.");
        }
        if (!IsSafeName(etag) || !IsSafeName(commit))
            throw new IclException($"{url} sent an unusable ETag '{etag}' or commit '{commit}'; " +
                $"HF_ENDPOINT ({options.Endpoint}) may not be a Hugging Face hub.");
        return new HubFileInfo(commit, etag, size.Value);
    }

    internal static string? NormalizeETag(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var etag = raw.Trim();
        if (etag.StartsWith("W/", StringComparison.Ordinal)) etag = etag[2..];
        etag = etag.Trim('"');
        return etag.Length == 0 ? null : etag;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    private static bool IsSafeName(string name) =>
        name.Length <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name.Trim('.').Length > 0;

    private static bool IsRedirect(HttpStatusCode code) => (int)code is 301 or 302 or 303 or 307 or 308;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    internal static string OneLine(string text) => string.Join(' ', text.Split('\n', '\r', StringSplitOptions.RemoveEmptyEntries)).Trim();
}
