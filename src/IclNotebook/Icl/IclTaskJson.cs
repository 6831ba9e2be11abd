using System.Text.Json;

namespace IclNotebook.Icl;

/// <summary>
/// Reads the task JSON into an <see cref="IclTask"/>: syntax, field names, types and required
/// fields. Rules about values (empty strings, templates, counts) are <see cref="IclTaskValidator"/>'s.
/// </summary>
internal static class IclTaskJson
{
    private static readonly string[] TopFields =
        ["name", "demoTemplate", "queryTemplate", "answerTemplate", "separator", "demos", "queries", "corruption"];
    private static readonly string[] ExampleFields = ["input", "label"];

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static IclTask Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, Options); }
        catch (JsonException e)
        {
            // JsonException positions are 0-based; editors count from 1.
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            string what = e.Message.Split(" LineNumber:", 2)[0].TrimEnd();
            throw new IclException($"{source}: invalid JSON at line {line}, column {column}: {what} Fix the JSON syntax there.", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array) return Datasets.DatasetTaskJson.FromPairs(json, source);
            if (root.ValueKind != JsonValueKind.Object)
                throw IclTaskValidator.Error(source, "(root)",
                    $"must be a JSON object like {{\"name\": ..., \"demos\": [...], ...}}, or a dataset's array of " +
                    $"{{\"input\", \"output\"}} pairs, not {Kind(root)}");
            if (root.TryGetProperty("dataset", out _)) return Datasets.DatasetTaskJson.Parse(root, source);
            CheckFields(root, source, "", TopFields);
            var task = new IclTask(
                String(root, source, "", "name", required: true)!,
                String(root, source, "", "demoTemplate", required: true)!,
                String(root, source, "", "queryTemplate", required: true)!,
                Examples(root, source, "demos"),
                Examples(root, source, "queries"),
                Corruption(root, source));
            if (String(root, source, "", "answerTemplate", required: false) is { } answer) task = task with { AnswerTemplate = answer };
            if (String(root, source, "", "separator", required: false) is { } sep) task = task with { Separator = sep };
            return task;
        }
    }

    private static IclExample[] Examples(JsonElement root, string source, string field)
    {
        var array = Required(root, source, "", field, "an array of {\"input\": \"...\", \"label\": \"...\"} objects");
        if (array.ValueKind != JsonValueKind.Array)
            throw IclTaskValidator.Error(source, field, $"must be an array of {{\"input\": \"...\", \"label\": \"...\"}} objects, not {Kind(array)}");
        return array.EnumerateArray().Select((e, i) =>
        {
            string path = $"{field}[{i}]";
            if (e.ValueKind != JsonValueKind.Object)
                throw IclTaskValidator.Error(source, path, $"must be an object {{\"input\": \"...\", \"label\": \"...\"}}, not {Kind(e)}");
            CheckFields(e, source, path + ".", ExampleFields);
            return new IclExample(String(e, source, path + ".", "input", required: true)!, String(e, source, path + ".", "label", required: true)!);
        }).ToArray();
    }

    internal static IclCorruption Corruption(JsonElement root, string source)
    {
        const string hint = "an object like {\"kind\": \"label-map\", \"map\": {\"positive\": \"negative\"}}";
        var c = Required(root, source, "", "corruption", hint);
        if (c.ValueKind != JsonValueKind.Object) throw IclTaskValidator.Error(source, "corruption", $"must be {hint}, not {Kind(c)}");
        string kind = String(c, source, "corruption.", "kind", required: true)!;
        switch (kind)
        {
            case LabelMapCorruption.KindName:
                CheckFields(c, source, "corruption.", ["kind", "map"]);
                var map = Required(c, source, "corruption.", "map", "an object {\"label\": \"corrupted label\", ...}");
                if (map.ValueKind != JsonValueKind.Object)
                    throw IclTaskValidator.Error(source, "corruption.map",
                        $"must be an object {{\"label\": \"corrupted label\", ...}}, not {Kind(map)}");
                CheckFields(map, source, "corruption.map.", allowed: null);
                return new LabelMapCorruption(map.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.String
                    ? KeyValuePair.Create(p.Name, p.Value.GetString()!)
                    : throw IclTaskValidator.Error(source, $"corruption.map[\"{p.Name}\"]",
                        $"must be a string (the corrupted label), not {Kind(p.Value)}")).ToArray());
            case ExplicitCorruption.KindName:
                CheckFields(c, source, "corruption.", ["kind", "labels"]);
                var labels = Required(c, source, "corruption.", "labels", "an array with one corrupted label per demo");
                if (labels.ValueKind != JsonValueKind.Array)
                    throw IclTaskValidator.Error(source, "corruption.labels",
                        $"must be an array with one corrupted label per demo, not {Kind(labels)}");
                return new ExplicitCorruption(labels.EnumerateArray().Select((l, i) => l.ValueKind == JsonValueKind.String
                    ? l.GetString()!
                    : throw IclTaskValidator.Error(source, $"corruption.labels[{i}]", $"must be a string, not {Kind(l)}")).ToArray());
            case ShuffleCorruption.KindName:
                CheckFields(c, source, "corruption.", ["kind", "seed"]);
                return new ShuffleCorruption(Seed(c, source));
            case RandomLabelsCorruption.KindName:
                CheckFields(c, source, "corruption.", ["kind", "seed"]);
                return new RandomLabelsCorruption(Seed(c, source));
            default:
                throw IclTaskValidator.Error(source, "corruption.kind",
                    $"unknown kind '{kind}'; use one of: {string.Join(", ", IclCorruption.Kinds)}");
        }
    }

    private static long Seed(JsonElement c, string source)
    {
        var seed = Required(c, source, "corruption.", "seed", "an integer, e.g. \"seed\": 1");
        return seed.ValueKind == JsonValueKind.Number && seed.TryGetInt64(out long s)
            ? s
            : throw IclTaskValidator.Error(source, "corruption.seed", $"must be a whole number that fits in 64 bits, e.g. 1, not {seed.GetRawText()}");
    }

    internal static JsonElement Required(JsonElement obj, string source, string prefix, string name, string expected) =>
        obj.TryGetProperty(name, out var v) ? v : throw IclTaskValidator.Error(source, prefix + name, $"missing; add \"{name}\": {expected}");

    internal static string? String(JsonElement obj, string source, string prefix, string name, bool required)
    {
        if (!obj.TryGetProperty(name, out var v))
            return required ? throw IclTaskValidator.Error(source, prefix + name, $"missing; add \"{name}\": \"...\"") : null;
        return v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw IclTaskValidator.Error(source, prefix + name, $"must be a string, not {Kind(v)}");
    }

    /// <summary>Rejects duplicate names and (when <paramref name="allowed"/> is given) unknown ones.</summary>
    internal static void CheckFields(JsonElement obj, string source, string prefix, string[]? allowed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw IclTaskValidator.Error(source, prefix + p.Name, "appears twice; keep one");
            if (allowed is not null && !allowed.Contains(p.Name, StringComparer.Ordinal))
                throw IclTaskValidator.Error(source, prefix + p.Name, $"unknown field; the allowed fields here are: {string.Join(", ", allowed)}");
        }
    }

    internal static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
