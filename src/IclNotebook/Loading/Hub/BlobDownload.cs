using IclNotebook.Progress;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace IclNotebook.Loading.Hub;

/// <summary>
/// Downloads one blob into the cache the way <c>huggingface_hub</c> does: under
/// <c>.locks/.../{etag}.lock</c> (an exclusive lock, <c>FileShare.None</c>, which on Unix is an
/// <c>flock</c> like Python's <c>filelock</c>, so a second process — ours or Python's — waits
/// instead of writing the same file), into <c>blobs/{etag}.incomplete</c>, resumed with a Range
/// request, verified (size, and sha256 when the etag is one), then renamed to <c>blobs/{etag}</c>.
/// A file under the final name is therefore always complete and verified.
/// </summary>
internal sealed class BlobDownload(HubTransport transport, HubOptions options, HubCache cache)
{
    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    public async Task RunAsync(string repo, string file, HubFileInfo info, Uri url, IProgress<WorkProgress>? progress, CancellationToken ct)
    {
        var blob = cache.BlobPath(repo, info.ETag);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        using var fileLock = await AcquireLockAsync(cache.LockPath(repo, info.ETag), ct).ConfigureAwait(false);
        if (File.Exists(blob)) return; // another process finished it while we waited
        var incomplete = blob + ".incomplete";
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await DownloadOnceAsync(file, info, url, incomplete, progress, ct).ConfigureAwait(false);
                break;
            }
            catch (TransientHubException) when (attempt < options.MaxRetries)
            {
                await Task.Delay(options.RetryDelay * Math.Pow(2, attempt), ct).ConfigureAwait(false);
            }
            catch (TransientHubException e)
            {
                throw new IclException(
                    $"Downloading {url} failed after {attempt + 1} attempts ({e.Message}); " +
                    $"{Length(incomplete)} of {info.Size} bytes are kept in {incomplete} and the next run resumes from there.", e);
            }
        }
        await VerifyAsync(url, info, incomplete, ct).ConfigureAwait(false);
        File.Move(incomplete, blob, overwrite: true);
    }

    private async Task DownloadOnceAsync(string file, HubFileInfo info, Uri url, string incomplete, IProgress<WorkProgress>? progress,
        CancellationToken ct)
    {
        long done = Length(incomplete);
        if (done > info.Size) done = 0; // not a prefix of this blob: start again
        if (done == info.Size && done > 0) return;
        try
        {
            using var response = await transport.GetAsync(url, done, $"file '{file}'", ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.PartialContent)
            {
                done = 0; // a 200 carries the file from its first byte
            }
            else if (response.Content.Headers.ContentRange?.From != done)
            {
                File.Delete(incomplete);
                throw new TransientHubException($"asked for bytes from {done}, got range {response.Content.Headers.ContentRange}");
            }
            await using var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
            output.SetLength(done);
            output.Position = done;
            progress?.Report(new WorkProgress(file, done, info.Size, WorkProgress.Bytes));
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var buffer = new byte[1 << 16];
            var sinceReport = Stopwatch.StartNew();
            int n;
            while ((n = await transport.ReadAsync(body, buffer, readTimeout, ct).ConfigureAwait(false)) > 0)
            {
                if (done + n > info.Size)
                {
                    await output.DisposeAsync().ConfigureAwait(false);
                    File.Delete(incomplete);
                    throw new IclException($"{url} sent more than the announced {info.Size} bytes; the download was deleted. " +
                        "Try again; if it persists, a proxy may be altering the file.");
                }
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                done += n;
                if (sinceReport.Elapsed >= ProgressInterval)
                {
                    progress?.Report(new WorkProgress(file, done, info.Size, WorkProgress.Bytes));
                    sinceReport.Restart();
                }
            }
            await output.FlushAsync(ct).ConfigureAwait(false);
            progress?.Report(new WorkProgress(file, done, info.Size, WorkProgress.Bytes));
            if (done < info.Size) throw new TransientHubException($"the body ended after {done} of {info.Size} bytes");
        }
        catch (IOException e)
        {
            // Connection reset or a body cut short: what was written stays for the next attempt.
            throw new TransientHubException(HubTransport.OneLine(e.Message), e);
        }
    }

    private static async Task VerifyAsync(Uri url, HubFileInfo info, string incomplete, CancellationToken ct)
    {
        long size = Length(incomplete);
        string? problem = size != info.Size ? $"size {size} bytes, expected {info.Size}" : null;
        if (problem is null && HubCache.IsSha256(info.ETag))
        {
            await using var stream = new FileStream(incomplete, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
            if (actual != info.ETag) problem = $"sha256 {actual}, expected {info.ETag}";
        }
        if (problem is null) return;
        File.Delete(incomplete);
        throw new IclException($"Download of {url} is corrupt ({problem}) and was deleted; " +
            "try again, and if it persists a proxy may be altering the file.");
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsLockHeld(e))
            {
                // Held by another download of the same blob (this process or another); wait for it.
                await Task.Delay(LockPoll, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IclException($"Cannot create the download lock {path}: {HubTransport.OneLine(e.Message)}; " +
                    "check that the cache folder is writable or set HF_HUB_CACHE.", e);
            }
        }
    }

    /// <summary>
    /// The lock is held elsewhere: ERROR_SHARING_VIOLATION on Windows; on Unix .NET reports flock's
    /// EWOULDBLOCK as its raw errno (11 on Linux, 35 on macOS).
    /// </summary>
    private static bool IsLockHeld(IOException e) =>
        e.GetType() == typeof(IOException) && e.HResult is unchecked((int)0x80070020) or 11 or 35;

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
