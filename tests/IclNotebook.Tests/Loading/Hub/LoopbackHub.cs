using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace IclNotebook.Tests.Loading.Hub;

internal sealed record HubRequest(string Method, string Path, string Host, string? Range, string? Authorization);

/// <summary>
/// A tiny Hugging Face hub on 127.0.0.1 (and localhost, as a second host): serves
/// <c>/{org}/{name}/resolve/{revision}/{file}</c> with the hub's headers, HEAD and Range, LFS
/// files via a 302 to <c>/cdn/{sha256}</c>, branches with their own commits, 404s with the hub's
/// <c>X-Error-Code</c> (RepoNotFound, RevisionNotFound, EntryNotFound), and injects queued faults per request.
/// </summary>
internal sealed partial class LoopbackHub : IDisposable
{
    private sealed record HubFile(byte[] Content, bool Lfs, string ETag);

    private readonly HttpListener listener;
    private readonly ConcurrentDictionary<string, HubFile> files = new();
    private readonly ConcurrentDictionary<string, HubFile> blobsBySha = new();
    private readonly ConcurrentQueue<Fault> headFaults = new();
    private readonly ConcurrentQueue<Fault> bodyFaults = new();
    private readonly HashSet<string> gatedRepos = [];
    private readonly ConcurrentDictionary<string, string> branches = new();

    public LoopbackHub()
    {
        for (int attempt = 0; ; attempt++)
        {
            Port = FreePort();
            listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            listener.Prefixes.Add($"http://localhost:{Port}/");
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
        branches["main"] = Commit;
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public string Commit { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>Host the LFS redirect points to; <c>localhost</c> makes the CDN a different host.</summary>
    public string CdnHost { get; set; } = "127.0.0.1";

    /// <summary>Token a gated repo requires as <c>Authorization: Bearer</c>.</summary>
    public string Token { get; set; } = "hf_loopback";

    public ConcurrentQueue<HubRequest> Requests { get; } = new();

    /// <summary>Bodies are sent at most this fast (null: at once), so that downloads overlap in time.</summary>
    public int? BytesPerSecond { get; set; }

    /// <summary>A new branch (e.g. Pythia's <c>step3000</c>) with its own commit, holding no files until added.</summary>
    public string AddBranch(string name) => branches[name] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public void AddFile(string repo, string file, byte[] content, bool lfs, string branch = "main")
    {
        var etag = lfs ? Convert.ToHexStringLower(SHA256.HashData(content)) : GitBlobSha1(content);
        var hubFile = new HubFile(content, lfs, etag);
        files[$"{branches[branch]}/{repo}/{file}"] = hubFile;
        if (lfs) blobsBySha[etag] = hubFile;
    }

    public void Gate(string repo)
    {
        lock (gatedRepos) gatedRepos.Add(repo);
    }

    public void FailNextHead(params Fault[] faults) { foreach (var f in faults) headFaults.Enqueue(f); }

    /// <summary>Faults for the next GETs that carry a file's bytes (the CDN request for LFS files).</summary>
    public void FailNextBody(params Fault[] faults) { foreach (var f in faults) bodyFaults.Enqueue(f); }

#pragma warning disable CA5350 // git's blob id is SHA-1 by definition; it names files, it protects nothing.
    public static string GitBlobSha1(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
#pragma warning restore CA5350

    public void Dispose() => listener.Close();

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        Requests.Enqueue(new HubRequest(request.HttpMethod, path, request.Url.Host, request.Headers["Range"], request.Headers["Authorization"]));
        try
        {
            if (path.StartsWith("/cdn/", StringComparison.Ordinal) && blobsBySha.TryGetValue(path[5..], out var blob))
                ServeBody(context, blob);
            else if (ParseResolve(path) is var (repo, revision, file))
            {
                var commit = branches.TryGetValue(revision, out var c) ? c : branches.Values.Contains(revision) ? revision : null;
                if (commit is not null && files.TryGetValue($"{commit}/{repo}/{file}", out var hubFile))
                    ServeResolve(context, repo, commit, hubFile);
                else
                    NotFound(response, !files.Keys.Any(k => k.Split('/', 2)[1].StartsWith(repo + "/", StringComparison.Ordinal)) ? "RepoNotFound"
                        : commit is null ? "RevisionNotFound" : "EntryNotFound");
            }
            else
                Status(response, 404);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away; nothing to answer.
        }
    }

    private static void NotFound(HttpListenerResponse response, string errorCode)
    {
        response.Headers["X-Error-Code"] = errorCode;
        Status(response, 404);
    }

    private void ServeResolve(HttpListenerContext context, string repo, string commit, HubFile file)
    {
        var response = context.Response;
        bool head = context.Request.HttpMethod == "HEAD";
        if (head && headFaults.TryDequeue(out var fault) && Fail(context, fault, file)) return;
        bool gated;
        lock (gatedRepos) gated = gatedRepos.Contains(repo);
        if (gated && context.Request.Headers["Authorization"] != $"Bearer {Token}")
        {
            Status(response, 401);
            return;
        }
        response.Headers["X-Repo-Commit"] = commit;
        if (file.Lfs)
        {
            // As the hub: the resolve URL redirects to the CDN; the metadata is on the redirect.
            response.Headers["ETag"] = "\"" + GitBlobSha1(file.Content) + "\"";
            response.Headers["X-Linked-Etag"] = "\"" + file.ETag + "\"";
            response.Headers["X-Linked-Size"] = file.Content.Length.ToString(CultureInfo.InvariantCulture);
            response.Redirect($"http://{CdnHost}:{Port}/cdn/{file.ETag}");
            response.StatusCode = 302;
            response.ContentLength64 = 0;
            response.Close();
            return;
        }
        response.Headers["ETag"] = "W/\"" + file.ETag + "\"";
        if (head)
        {
            response.ContentLength64 = file.Content.Length;
            response.Close();
            return;
        }
        ServeBody(context, file);
    }

    private void ServeBody(HttpListenerContext context, HubFile file)
    {
        var response = context.Response;
        if (bodyFaults.TryDequeue(out var fault) && Fail(context, fault, file)) return;
        var content = fault?.Kind == FaultKind.WrongBytes ? RandomNumberGenerator.GetBytes(file.Content.Length) : file.Content;
        long from = 0;
        if (context.Request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range[6..^1], CultureInfo.InvariantCulture);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        response.ContentLength64 = content.Length - from;
        if (BytesPerSecond is { } rate)
        {
            const int Piece = 64 * 1024;
            for (long at = from; at < content.Length; at += Piece)
            {
                int n = (int)Math.Min(Piece, content.Length - at);
                response.OutputStream.Write(content, (int)at, n);
                Thread.Sleep(TimeSpan.FromSeconds((double)n / rate));
            }
        }
        else
            response.OutputStream.Write(content, (int)from, (int)(content.Length - from));
        response.Close();
    }

    /// <summary>Applies a fault; false when the fault only changes the bytes served.</summary>
    private static (string Repo, string Revision, string File)? ParseResolve(string path)
    {
        // /{org}/{name}/resolve/{revision}/{file...} or /{name}/resolve/... (legacy ids)
        var parts = path.TrimStart('/').Split('/');
        int at = Array.IndexOf(parts, "resolve");
        if (at is < 1 or > 2 || parts.Length < at + 3) return null;
        return (string.Join('/', parts[..at]), parts[at + 1], string.Join('/', parts[(at + 2)..]));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
