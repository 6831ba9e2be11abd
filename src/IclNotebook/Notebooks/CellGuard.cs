using System.Text.RegularExpressions;

namespace IclNotebook.Notebooks;

/// <summary>
/// Keeps a notebook's failure to one line. When a cell fails, the variables it declared stay null; every later cell that
/// uses one would fail again with a null-reference stack trace. The notebook set-up (the package's kernel extension,
/// notebooks/setup/Load.csx) asks <see cref="BeforeCell"/> before each cell runs: a cell that reads a variable a failed cell
/// left null is not run, and fails with one line naming the variable and the cell to fix. <see cref="AfterCell"/> records
/// each cell's outcome.
/// </summary>
public sealed class CellGuard
{
    private readonly Dictionary<string, string> _leftNull = new(StringComparer.Ordinal);   // variable -> the failed cell's first line

    /// <summary>
    /// After a cell ran: when it <paramref name="failed"/>, the variables it names that are null now (its declarations) are
    /// remembered; when it succeeded, every remembered variable it assigned (now non-null) is forgotten.
    /// </summary>
    /// <param name="code">the cell's code</param>
    /// <param name="failed">whether it threw</param>
    /// <param name="variables">the kernel's variables after it (name, value; a later declaration of a name shadows an earlier one)</param>
    public void AfterCell(string code, bool failed, IEnumerable<(string Name, object? Value)> variables)
    {
        ArgumentNullException.ThrowIfNull(code);
        var current = Latest(variables);
        var text = CodeOnly(code);
        if (failed)
        {
            foreach (var (name, value) in current)
                if (value is null && name != "_" && Assigns(text, name)) _leftNull[name] = FirstLine(code);
        }
        foreach (var name in _leftNull.Keys.Where(n => !failed && Assigns(text, n) || current.TryGetValue(n, out var v) && v is not null).ToList())
            _leftNull.Remove(name);
    }

    /// <summary>
    /// Before a cell runs: null when it may run; otherwise the one-line reason it should not: it reads a variable that a
    /// failed cell left null (or that a cell refused for that reason never declared) and does not assign it itself. What a
    /// refused cell declares is remembered the same way, so the cells after it point at the same first failure.
    /// </summary>
    public string? BeforeCell(string code, IEnumerable<(string Name, object? Value)> variables)
    {
        ArgumentNullException.ThrowIfNull(code);
        var current = Latest(variables);
        var text = CodeOnly(code);
        foreach (var (name, cell) in _leftNull)
        {
            bool missing = !current.TryGetValue(name, out var value) || value is null;
            if (!missing || !Uses(text, name) || Assigns(text, name)) continue;
            foreach (var declared in Declared(text).Where(d => d != "_")) _leftNull.TryAdd(declared, cell);
            return $"This cell needs '{name}', which an earlier cell should have made, but that cell failed ({cell}): " +
                "fix the first error above and run the cells again from there.";
        }
        return null;
    }

    /// <summary>The names a cell declares: <c>var x =</c>, <c>Type x =</c>, <c>var (a, b) =</c>.</summary>
    private static IEnumerable<string> Declared(string code) =>
        Regex.Matches(code, @"(?m)^\s*(?:var|[\w<>\[\],.?]+)\s+([A-Za-z_]\w*)\s*=(?![=>])").Select(m => m.Groups[1].Value)
            .Concat(Regex.Matches(code, @"\bvar\s*\(([^()]*)\)\s*=(?![=>])")
                .SelectMany(m => m.Groups[1].Value.Split(',').Select(p => p.Trim()).Where(p => Regex.IsMatch(p, @"^[A-Za-z_]\w*$"))));

    private static Dictionary<string, object?> Latest(IEnumerable<(string Name, object? Value)> variables)
    {
        var latest = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in variables ?? []) latest[name] = value;
        return latest;
    }

    /// <summary>The code without comments and string or character literals (a word in them is no use of a variable).</summary>
    private static string CodeOnly(string code) =>
        Regex.Replace(code, @"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|\$?""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)+'", " ", RegexOptions.Singleline);

    /// <summary>Whether the code reads the variable: the name as a word, not a member (<c>.name</c>) or a named argument (<c>(name: ...</c>).</summary>
    private static bool Uses(string code, string name)
    {
        var n = Regex.Escape(name);
        var withoutNamedArguments = Regex.Replace(code, $@"([(,]\s*){n}\s*:(?!:)", "$1");
        return Regex.IsMatch(withoutNamedArguments, $@"(?<![\w.@]){n}\b");
    }

    /// <summary>
    /// Whether the code gives the name a value of its own: <c>name = </c> (and <c>??=</c>, <c>+=</c>, ...), <c>var name = </c>, a
    /// deconstruction, <c>out var name</c>, <c>foreach (var name in</c>, a pattern (<c>is { } name</c>), a catch variable, or a
    /// lambda parameter of that name (which hides the variable).
    /// </summary>
    private static bool Assigns(string code, string name)
    {
        var n = Regex.Escape(name);
        string type = @"(?:var|[\w<>\[\],.?]+)";
        return Regex.IsMatch(code, $@"(?<![\w.]){n}\s*(?:\?\?|[-+*/%&|^])?=(?![=>])")
            || Regex.IsMatch(code, $@"\([^()]*(?<![\w.]){n}\b[^()]*\)\s*=(?![=])")
            || Regex.IsMatch(code, $@"\bout\s+{type}\s+{n}\b|\bforeach\s*\(\s*{type}\s+{n}\s+in\b|\bcatch\s*\(\s*[\w.]+\s+{n}\s*\)")
            || Regex.IsMatch(code, $@"\bis\s+(?:not\s+)?(?:\{{[^}}]*\}}|[\w<>\[\].?]+)\s+{n}\b")
            || Regex.IsMatch(code, $@"(?<![\w.]){n}\s*=>");
    }

    private static string FirstLine(string code)
    {
        var line = code.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)) ?? "";
        return line.Length > 60 ? $"the cell starting \"{line[..60]}...\"" : $"the cell \"{line}\"";
    }
}
