namespace IclNotebook;

/// <summary>
/// The one exception type the library throws for bad input or a bad environment. Its message
/// names the problem and the fix; the CLI prints it as a single line, notebooks show it as is.
/// </summary>
public sealed class IclException : Exception
{
    public IclException(string message) : base(message) { }

    public IclException(string message, Exception inner) : base(message, inner) { }

    public IclException() { }
}
