namespace IclNotebook.Cli;

/// <summary>
/// A parsed command line: positional arguments and <c>--name value</c> / <c>--flag</c> options.
/// Each command declares its options; anything undeclared is an error naming it.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--") { Positional.Add(a); continue; }
            var name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) (name, value) = (name[..eq], name[(eq + 1)..]);
            else if (!flags.Contains(name))
            {
                if (i + 1 >= list.Count) throw new IclException($"Option --{name} needs a value.");
                value = list[++i];
            }
            _options[name] = value;
        }
    }

    public List<string> Positional { get; } = new();

    public bool Flag(string name) { _read.Add(name); return _options.ContainsKey(name); }

    public string? Get(string name) { _read.Add(name); return _options.GetValueOrDefault(name); }

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public int GetInt(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        if (!int.TryParse(v, out int i) || i <= 0) throw new IclException($"--{name} must be a positive integer, got '{v}'.");
        return i;
    }

    /// <summary>Throws naming any option the command did not read (a typo, or not for this command).</summary>
    public void RejectUnknown(string command)
    {
        var unknown = _options.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new IclException($"Unknown option --{unknown[0]} for '{command}'. Run 'icl {command} --help'.");
    }
}
