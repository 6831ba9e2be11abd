namespace IclNotebook;

/// <summary>
/// The one exception type the library throws for bad input or a bad environment. Its message
/// names the problem and the fix, and it reads as that message alone: <see cref="ToString"/> is the
/// message and <see cref="StackTrace"/> is empty, which is what notebook kernels print, so a wrong
/// model name reads as one line that says what to fix, not a wall of frames from inside the library.
/// <see cref="Details"/> has the frames and inner exceptions (the CLI and the twins print it with
/// <c>ICL_DEBUG=1</c>).
/// </summary>
public sealed class IclException : Exception
{
    public IclException(string message) : base(message) { }

    public IclException(string message, Exception inner) : base(message, inner) { }

    public IclException() { }

    /// <summary>The message alone.</summary>
    public override string ToString() => Message;

    /// <summary>None: the frames are in <see cref="Details"/>.</summary>
    public override string? StackTrace => null;

    /// <summary>Type, message, the frames where it was thrown, and inner exceptions.</summary>
    public string Details => $"{GetType().FullName}: {Message}{Environment.NewLine}{base.StackTrace}"
        + (InnerException is { } inner ? $"{Environment.NewLine} ---> {inner}" : "");
}
