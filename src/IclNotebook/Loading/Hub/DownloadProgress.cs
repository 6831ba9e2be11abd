namespace IclNotebook.Loading.Hub;

/// <summary>
/// Progress of one file's download: bytes on disk so far (including a resumed part) out of the
/// file's size. Reported at the start, after each chunk and at the end; callers compute rate
/// and ETA from successive reports.
/// </summary>
public sealed record DownloadProgress(string File, long BytesDone, long BytesTotal);
