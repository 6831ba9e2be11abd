using System.Security.Cryptography;
using System.Text.Json;

namespace IclNotebook.Icl.Datasets;

/// <summary>
/// A task dataset: a JSON array of <c>{"input": ..., "output": ...}</c> pairs, the Function Vectors paper's format
/// (47 of its files ship in data/datasets/function-vectors). Each pair becomes an <see cref="IclExample"/> whose label
/// is the output. Loaded whole (the largest shipped file is 2398 pairs) and checked entry by entry.
/// </summary>
/// <param name="Path">The file, as resolved.</param>
/// <param name="Sha256">The file's SHA-256 (hex), recorded in results so a run names the exact data it sampled.</param>
/// <param name="Pairs">The pairs in file order.</param>
public sealed record PairDataset(string Path, string Sha256, IReadOnlyList<IclExample> Pairs)
{
    /// <summary>The distinct outputs in first-seen order: what a random-labels corruption draws from.</summary>
    public IReadOnlyList<string> Outputs { get; } = Pairs.Select(p => p.Label).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>Reads and checks a pairs file; errors name the file, the entry and the fix.</summary>
    public static PairDataset Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new IclException($"Dataset file {System.IO.Path.GetFullPath(path)} does not exist; give a JSON file of " +
                "[{\"input\": ..., \"output\": ...}] pairs (47 ship in data/datasets/function-vectors/).");
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    /// <summary>Parses a pairs file's bytes; <paramref name="source"/> names it in errors.</summary>
    public static PairDataset Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e)
        {
            throw new IclException($"{source}: invalid JSON at line {(e.LineNumber ?? 0) + 1}: {e.Message.Split(" LineNumber:", 2)[0]} " +
                "Fix the JSON syntax there.", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new IclException($"{source}: a dataset is a JSON array of {{\"input\": ..., \"output\": ...}} pairs, not {doc.RootElement.ValueKind}.");
            var pairs = doc.RootElement.EnumerateArray().Select((e, i) => Pair(e, i, source)).ToArray();
            if (pairs.Length < 2)
                throw new IclException($"{source}: the dataset has {pairs.Length} pair(s); sampling a query and its demonstrations " +
                    "needs at least 2.");
            return new PairDataset(source, Convert.ToHexStringLower(SHA256.HashData(bytes)), pairs);
        }
    }

    private static IclExample Pair(JsonElement e, int i, string source)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new IclException($"{source}: [{i}] must be an object {{\"input\": \"...\", \"output\": \"...\"}}, not {e.ValueKind}.");
        string Field(string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
                ? v.GetString()!
                : throw new IclException($"{source}: [{i}].{name} must be a non-empty string (each pair is {{\"input\": \"...\", \"output\": \"...\"}}).");
        return new IclExample(Field("input"), Field("output"));
    }
}
