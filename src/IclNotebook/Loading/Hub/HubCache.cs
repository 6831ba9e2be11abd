using System.Text.RegularExpressions;

namespace IclNotebook.Loading.Hub;

/// <summary>
/// The on-disk layout of Python's <c>huggingface_hub</c> cache, so a model downloaded by either
/// side is reused by the other:
/// <code>
/// {root}/models--{org}--{name}/refs/{revision}          the commit sha the revision points to
/// {root}/models--{org}--{name}/blobs/{etag}             file contents (sha256 for LFS, git sha1 otherwise)
/// {root}/models--{org}--{name}/snapshots/{commit}/{file} relative symlink to ../../blobs/{etag}
/// {root}/models--{org}--{name}/.no_exist/{commit}/{file} empty: the repo has no such file at that commit
/// {root}/.locks/models--{org}--{name}/{etag}.lock        held while a blob downloads
/// </code>
/// Where symlinks cannot be created the snapshot holds a copy of the blob.
/// </summary>
public sealed partial class HubCache
{
    public HubCache(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    /// <summary><c>openai-community/gpt2</c> -> <c>models--openai-community--gpt2</c>.</summary>
    public static string RepoFolderName(string repo) => "models--" + repo.Replace("/", "--", StringComparison.Ordinal);

    public string RepoDir(string repo) => Path.Combine(Root, RepoFolderName(repo));

    public string BlobPath(string repo, string etag) => Path.Combine(RepoDir(repo), "blobs", etag);

    public string SnapshotPath(string repo, string commit, string file) =>
        Path.Combine(RepoDir(repo), "snapshots", commit, file);

    /// <summary>Same path as <c>huggingface_hub</c> uses, so its file lock and ours exclude each other.</summary>
    public string LockPath(string repo, string etag) =>
        Path.Combine(Root, ".locks", RepoFolderName(repo), etag + ".lock");

    /// <summary>
    /// The commit a revision stands for: the content of <c>refs/{revision}</c>, else the revision
    /// itself when it is a commit sha with a snapshot folder; null when neither exists.
    /// </summary>
    public string? ResolveCommit(string repo, string revision)
    {
        var refFile = Path.Combine(RepoDir(repo), "refs", revision);
        if (File.Exists(refFile))
        {
            var commit = File.ReadAllText(refFile).Trim();
            if (commit.Length > 0) return commit;
        }
        if (IsCommitSha(revision) && Directory.Exists(Path.Combine(RepoDir(repo), "snapshots", revision)))
            return revision;
        return null;
    }

    /// <summary>The snapshot path of a cached file, or null when it is not (completely) cached.</summary>
    public string? TryGetCached(string repo, string revision, string file)
    {
        var commit = ResolveCommit(repo, revision);
        if (commit is null) return null;
        var path = SnapshotPath(repo, commit, file);
        // File.Exists follows the link, so a dangling symlink (blob deleted) counts as missing.
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Whether an earlier request found that the repo has no <paramref name="file"/> at the commit
    /// <paramref name="revision"/> stands for (Python's <c>.no_exist</c> marker), so it is not asked again.
    /// </summary>
    public bool IsKnownMissing(string repo, string revision, string file) =>
        ResolveCommit(repo, revision) is { } commit && File.Exists(Path.Combine(RepoDir(repo), ".no_exist", commit, file));

    /// <summary>Records that the repo has no <paramref name="file"/> at <paramref name="commit"/>.</summary>
    internal void MarkMissing(string repo, string commit, string file)
    {
        var marker = Path.Combine(RepoDir(repo), ".no_exist", commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllBytes(marker, []);
    }

    /// <summary>Links <c>snapshots/{commit}/{file}</c> to an existing blob and returns the snapshot path.</summary>
    internal string LinkSnapshot(string repo, string commit, string file, string etag)
    {
        var blob = BlobPath(repo, etag);
        var snapshot = SnapshotPath(repo, commit, file);
        var folder = Path.GetDirectoryName(snapshot)!;
        Directory.CreateDirectory(folder);
        if (File.Exists(snapshot) || IsLink(snapshot)) File.Delete(snapshot);
        try
        {
            File.CreateSymbolicLink(snapshot, Path.GetRelativePath(folder, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // Windows without developer mode, some network drives: a copy works everywhere.
            var temp = snapshot + ".copying";
            File.Copy(blob, temp, overwrite: true);
            File.Move(temp, snapshot, overwrite: true);
        }
        return snapshot;
    }

    /// <summary>Records that <paramref name="revision"/> points to <paramref name="commit"/> (skipped when they are equal, as in Python).</summary>
    internal void WriteRef(string repo, string revision, string commit)
    {
        if (revision == commit) return;
        var refFile = Path.Combine(RepoDir(repo), "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
        if (File.Exists(refFile) && File.ReadAllText(refFile).Trim() == commit) return;
        var temp = refFile + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temp, commit);
        File.Move(temp, refFile, overwrite: true);
    }

    public static bool IsCommitSha(string revision) => CommitSha().IsMatch(revision);

    internal static bool IsSha256(string etag) => Sha256Hex().IsMatch(etag);

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitSha();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();
}
