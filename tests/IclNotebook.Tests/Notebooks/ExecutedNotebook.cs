using System.Text.Json;

namespace IclNotebook.Tests.Notebooks;

/// <summary>An executed .ipynb as dotnet-repl writes it: per code cell, its source and outputs.</summary>
internal sealed record ExecutedNotebook(IReadOnlyList<ExecutedNotebook.Cell> Cells)
{
    public sealed record Cell(int Index, string Source, IReadOnlyList<JsonElement> Outputs)
    {
        public IEnumerable<JsonElement> Errors => Outputs.Where(o => o.GetProperty("output_type").GetString() == "error");

        public IEnumerable<string> Html => Outputs
            .Where(o => o.TryGetProperty("data", out var d) && d.TryGetProperty("text/html", out _))
            .Select(o => Text(o.GetProperty("data").GetProperty("text/html")));

        public string StdOut => string.Concat(Outputs.Where(o => o.GetProperty("output_type").GetString() == "stream").Select(o => Text(o.GetProperty("text"))));
    }

    public string AllHtml => string.Join("\n", Cells.SelectMany(c => c.Html));

    public static ExecutedNotebook Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cells = doc.RootElement.GetProperty("cells").EnumerateArray()
            .Select((c, i) => (c, i))
            .Where(x => x.c.GetProperty("cell_type").GetString() == "code")
            .Select(x => new Cell(x.i, Text(x.c.GetProperty("source")), x.c.GetProperty("outputs").EnumerateArray().Select(o => o.Clone()).ToList()))
            .ToList();
        return new ExecutedNotebook(cells);
    }

    public static string Text(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? string.Concat(e.EnumerateArray().Select(s => s.GetString())) : e.GetString() ?? "";
}
