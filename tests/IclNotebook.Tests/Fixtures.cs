using System.Text.Json;

namespace IclNotebook.Tests;

/// <summary>Paths of the TransformerLens fixtures copied into tests/fixtures (see its README).</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string TinyModel => Path.Combine(Root, "models", "tiny-gpt2-a");

    public static string Golden(string processing) => Path.Combine(Root, "goldens", $"tiny-gpt2-a-{processing}.json");

    /// <summary>TransformerLens's residual-stream analysis and head detector on tiny-gpt2-a (both processings).</summary>
    public static string AnalysisGolden => Path.Combine(Root, "goldens", "analysis", "tiny-gpt2-a-analysis.json");

    public static string Prompts => Path.Combine(Root, "prompts", "sentiment.json");

    private static readonly Dictionary<string, JsonDocument> Cache = new();

    public static JsonElement Json(string path)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(path, out var doc)) Cache[path] = doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement;
        }
    }

    /// <summary>A golden number: a JSON number, or the string "-Infinity" / "Infinity" / "NaN".</summary>
    public static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "-Infinity" => double.NegativeInfinity, "Infinity" => double.PositiveInfinity, _ => double.NaN }
        : e.GetDouble();

    public static long[][] LongRows(JsonElement e) =>
        e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(Number).ToArray();
}
