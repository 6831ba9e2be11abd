using System.Text.Json;

namespace IclNotebook.Tests.Notebooks;

/// <summary>
/// An executed .ipynb as dotnet-repl writes it: per code cell, its source and outputs, and the id the
/// cell has in the repository's notebook (dotnet-repl drops ids; cells keep their order), by which
/// tests find the cells whose output they read.
/// </summary>
internal sealed record ExecutedNotebook(string Name, IReadOnlyList<ExecutedNotebook.Cell> Cells)
{
    public sealed record Cell(int Index, string? Id, string Source, IReadOnlyList<JsonElement> Outputs)
    {
        public IEnumerable<JsonElement> Errors => Outputs.Where(o => o.GetProperty("output_type").GetString() == "error");

        public IEnumerable<string> Html => Outputs
            .Where(o => o.TryGetProperty("data", out var d) && d.TryGetProperty("text/html", out _))
            .Select(o => Text(o.GetProperty("data").GetProperty("text/html")));

        public string StdOut => string.Concat(Outputs.Where(o => o.GetProperty("output_type").GetString() == "stream").Select(o => Text(o.GetProperty("text"))));
    }

    public string AllHtml => string.Join("\n", Cells.SelectMany(c => c.Html));

    /// <summary>The cell with id <paramref name="id"/> in the repository's notebook.</summary>
    public Cell WithId(string id) => Cells.SingleOrDefault(c => c.Id == id)
        ?? throw new InvalidOperationException($"{Name} has no code cell with id '{id}' (ids: {string.Join(", ", Cells.Select(c => c.Id))}).");

    /// <summary>Reads <paramref name="path"/>, an execution of the repository's notebook <paramref name="source"/>.</summary>
    public static ExecutedNotebook Load(string path, string source)
    {
        using var executed = JsonDocument.Parse(File.ReadAllText(path));
        using var original = JsonDocument.Parse(File.ReadAllText(source));
        var ids = original.RootElement.GetProperty("cells").EnumerateArray()
            .Select(c => c.TryGetProperty("id", out var id) ? id.GetString() : null).ToList();
        var all = executed.RootElement.GetProperty("cells").EnumerateArray().ToList();
        if (all.Count != ids.Count) throw new InvalidOperationException($"{path} has {all.Count} cells, {source} {ids.Count}.");
        var cells = all
            .Select((c, i) => (c, i))
            .Where(x => x.c.GetProperty("cell_type").GetString() == "code")
            .Select(x => new Cell(x.i, ids[x.i], Text(x.c.GetProperty("source")), x.c.GetProperty("outputs").EnumerateArray().Select(o => o.Clone()).ToList()))
            .ToList();
        return new ExecutedNotebook(Path.GetFileNameWithoutExtension(source), cells);
    }

    public static string Text(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? string.Concat(e.EnumerateArray().Select(s => s.GetString())) : e.GetString() ?? "";
}
