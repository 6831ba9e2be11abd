namespace IclNotebook.Tests.Loading.Hub;

/// <summary>What to do to one request instead of answering it normally.</summary>
public enum FaultKind
{
    /// <summary>Announce the full Content-Length, send <c>Bytes</c> bytes, then close the connection.</summary>
    Truncate,
    /// <summary>Send <c>Bytes</c> bytes, flush, then abort the connection (a reset mid-file).</summary>
    Reset,
    /// <summary>A well-formed but short answer: Content-Length and body are only <c>Bytes</c> bytes.</summary>
    ShortBody,
    /// <summary>HTTP 500.</summary>
    ServerError,
    /// <summary>Serve other bytes of the same length (a sha256 mismatch).</summary>
    WrongBytes,
    /// <summary>HTTP 401.</summary>
    Unauthorized,
    /// <summary>HTTP 404.</summary>
    NotFound,
}

internal sealed record Fault(FaultKind Kind, int Bytes = 0);
