namespace IclNotebook;

/// <summary>
/// The one exception type the library throws for bad input or a bad environment. Its message
/// names the problem and the fix; the CLI prints it as a single line, and notebooks (after
/// <see cref="ShowStackTrace"/> is turned off by their setup) show just the message.
/// </summary>
public sealed class IclException : Exception
{
    public IclException(string message) : base(message) { }

    public IclException(string message, Exception inner) : base(message, inner) { }

    public IclException() { }

    /// <summary>
    /// Whether <see cref="ToString"/> and <see cref="StackTrace"/> include the stack trace and
    /// inner exceptions (default true). Notebook kernels print exactly those, so the notebooks'
    /// setup turns this off unless <c>ICL_DEBUG=1</c>: a wrong model name then reads as one line
    /// that says what to fix, not a wall of frames from inside the library.
    /// </summary>
    public static bool ShowStackTrace { get; set; } = true;

    /// <inheritdoc/>
    public override string? StackTrace => ShowStackTrace ? base.StackTrace : null;

    /// <inheritdoc/>
    public override string ToString() => ShowStackTrace ? base.ToString() : Message;
}
