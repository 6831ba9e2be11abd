using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IclNotebook.Twins;

/// <summary>
/// Writes an exercise notebook's student version from its instructor version, the one source: in code cells each region
/// between <c>// BEGIN SOLUTION</c> and <c>// END SOLUTION</c> becomes <c>// your code here</c> followed by the region's stub
/// (its <c>// stub: ...</c> lines, uncommented; none leaves the region empty), at the marker's indentation; in markdown cells a
/// region between <c>&lt;!-- BEGIN SOLUTION --&gt;</c> and <c>&lt;!-- END SOLUTION --&gt;</c> is dropped. Outputs are cleared.
/// The instructor notebook is <c>NN-name.ipynb</c>, the student one <c>NN-name.student.ipynb</c> beside it.
/// </summary>
public static class StudentNotebook
{
    public const string Begin = "// BEGIN SOLUTION";
    public const string End = "// END SOLUTION";
    public const string Stub = "// stub:";
    private const string MarkdownBegin = "<!-- BEGIN SOLUTION -->";
    private const string MarkdownEnd = "<!-- END SOLUTION -->";
    private const string Suffix = ".student";

    private static readonly JsonSerializerOptions Output = new()
    {
        WriteIndented = true, IndentSize = 1, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Whether <paramref name="path"/> is a generated student notebook (never a source).</summary>
    public static bool IsStudent(string path) => Path.GetFileNameWithoutExtension(path).EndsWith(Suffix, StringComparison.Ordinal);

    /// <summary>The student notebook's path for an instructor notebook's.</summary>
    public static string StudentPath(string instructorPath) =>
        Path.Combine(Path.GetDirectoryName(instructorPath) ?? "", Path.GetFileNameWithoutExtension(instructorPath) + Suffix + ".ipynb");

    /// <summary>Whether a notebook's JSON has solution regions (and so a student version).</summary>
    public static bool HasSolutions(string json) =>
        System.Text.RegularExpressions.Regex.IsMatch(json, @"""\s*(//\s*BEGIN SOLUTION|<!-- BEGIN SOLUTION -->)\s*(\\n)?""");   // a marker line, not a mention

    /// <summary>The student notebook's JSON for the instructor notebook <paramref name="json"/> (named <paramref name="name"/> in errors).</summary>
    public static string Generate(string json, string name)
    {
        var root = JsonNode.Parse(json) ?? throw new InvalidOperationException($"{name} is empty.");
        var cells = root["cells"]?.AsArray() ?? throw new InvalidOperationException($"{name} has no cells.");
        int number = 0;
        foreach (var cell in cells.OfType<JsonObject>())
        {
            number++;
            string type = cell["cell_type"]?.GetValue<string>() ?? "";
            var lines = SourceOf(cell).Split('\n');
            var student = type switch
            {
                "code" => CodeCell(lines, $"{name}, cell {number}"),
                "markdown" => MarkdownCell(lines, $"{name}, cell {number}"),
                _ => lines.ToList(),
            };
            cell["source"] = new JsonArray(student.Select((l, i) => (JsonNode?)JsonValue.Create(i < student.Count - 1 ? l + "\n" : l)).ToArray());
            if (type == "code")
            {
                cell["outputs"] = new JsonArray();
                cell["execution_count"] = null;
            }
        }
        return root.ToJsonString(Output) + "\n";
    }

    private static List<string> CodeCell(string[] lines, string where)
    {
        var kept = new List<string>();
        int begin = -1;
        var stub = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t == Begin)
            {
                if (begin >= 0) throw new InvalidOperationException($"{where}: {Begin} inside another solution region (line {begin + 1}); close it with {End} first.");
                begin = i;
                stub.Clear();
            }
            else if (t == End)
            {
                if (begin < 0) throw new InvalidOperationException($"{where}, line {i + 1}: {End} without {Begin}.");
                var indent = lines[begin][..(lines[begin].Length - lines[begin].TrimStart().Length)];
                kept.Add(indent + "// your code here");
                kept.AddRange(stub.Select(s => indent + s));
                begin = -1;
            }
            else if (t.StartsWith(Stub, StringComparison.Ordinal))
            {
                if (begin < 0) throw new InvalidOperationException($"{where}, line {i + 1}: a \"{Stub}\" line outside a solution region.");
                var rest = lines[i].TrimStart()[Stub.Length..];
                stub.Add(rest.StartsWith(' ') ? rest[1..] : rest);          // one space after the marker; the stub's own indentation stays
            }
            else if (begin < 0) kept.Add(lines[i]);
        }
        if (begin >= 0) throw new InvalidOperationException($"{where}, line {begin + 1}: {Begin} is never closed with {End}.");
        return kept;
    }

    private static List<string> MarkdownCell(string[] lines, string where)
    {
        var kept = new List<string>();
        int begin = -1;
        bool removed = false;
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t == MarkdownBegin)
            {
                if (begin >= 0) throw new InvalidOperationException($"{where}: {MarkdownBegin} inside another solution region (line {begin + 1}).");
                begin = i;
            }
            else if (t == MarkdownEnd)
            {
                if (begin < 0) throw new InvalidOperationException($"{where}, line {i + 1}: {MarkdownEnd} without {MarkdownBegin}.");
                begin = -1;
                removed = true;
            }
            else if (begin < 0) kept.Add(lines[i]);
        }
        if (begin >= 0) throw new InvalidOperationException($"{where}, line {begin + 1}: {MarkdownBegin} is never closed.");
        while (removed && kept.Count > 1 && kept[^1].Trim().Length == 0) kept.RemoveAt(kept.Count - 1);
        return kept;
    }

    private static string SourceOf(JsonObject cell) => cell["source"] switch
    {
        JsonArray parts => string.Concat(parts.Select(p => p?.GetValue<string>() ?? "")),
        JsonValue text => text.GetValue<string>(),
        _ => "",
    };
}
