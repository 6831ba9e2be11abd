using System.Text;
using System.Text.Json;

namespace IclNotebook.Icl.Datasets;

/// <summary>
/// Reads a dataset task: a bare pairs file (every default), or a task file that points at one and sets the rest:
/// <code>
/// {"name": "antonym", "dataset": "../datasets/function-vectors/abstractive/antonym.json",
///  "shots": 10, "prompts": 25, "seed": 0,
///  "demoTemplate": "Q: {input}\nA: {label}", "queryTemplate": "Q: {input}\nA:", "answerTemplate": " {label}", "separator": "\n\n",
///  "corruption": {"kind": "shuffle", "seed": 0}}
/// </code>
/// Every field but <c>dataset</c> is optional (defaults: <see cref="DatasetTask"/>); a relative <c>dataset</c> path is
/// read from the task file's folder (or as <c>data/...</c> in the repository).
/// </summary>
internal static class DatasetTaskJson
{
    private static readonly string[] Fields =
        ["name", "dataset", "shots", "prompts", "seed", "recall", "demoTemplate", "queryTemplate", "answerTemplate", "separator", "corruption"];

    /// <summary>A bare pairs file given as a task: Function Vectors' template, 10 shots, 25 prompts, seed 0, shuffled labels.</summary>
    public static IclTask FromPairs(string json, string source)
    {
        var bytes = File.Exists(source) ? File.ReadAllBytes(source) : Encoding.UTF8.GetBytes(json);
        var dataset = PairDataset.Parse(bytes, source);
        return DatasetTask.Build(dataset, Path.GetFileNameWithoutExtension(source), new DatasetSampling());
    }

    public static IclTask Parse(JsonElement root, string source)
    {
        IclTaskJson.CheckFields(root, source, "", Fields);
        string file = IclTaskJson.String(root, source, "", "dataset", required: true)!;
        string folder = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
        string path = Path.Combine(folder, file);                           // a rooted file stays itself
        if (!File.Exists(path)) path = TaskFiles.Resolve(file);             // the working directory, or the repository's data/
        if (!File.Exists(path))
            throw IclTaskValidator.Error(source, "dataset", $"'{file}' does not exist (looked in {folder} and the working directory); " +
                "give the path of a pairs file, relative to this task file");
        var defaults = new DatasetSampling();
        var sampling = new DatasetSampling(
            Int(root, source, "shots") ?? defaults.Shots,
            Int(root, source, "prompts") ?? defaults.Prompts,
            Long(root, source, "seed") ?? defaults.Seed,
            Bool(root, source, "recall") ?? false);
        var task = DatasetTask.Build(PairDataset.Load(path),
            IclTaskJson.String(root, source, "", "name", required: false) ?? Path.GetFileNameWithoutExtension(path), sampling,
            root.TryGetProperty("corruption", out _) ? IclTaskJson.Corruption(root, source) : null);
        if (IclTaskJson.String(root, source, "", "demoTemplate", required: false) is { } demo) task = task with { DemoTemplate = demo };
        if (IclTaskJson.String(root, source, "", "queryTemplate", required: false) is { } query) task = task with { QueryTemplate = query };
        if (IclTaskJson.String(root, source, "", "answerTemplate", required: false) is { } answer) task = task with { AnswerTemplate = answer };
        if (IclTaskJson.String(root, source, "", "separator", required: false) is { } sep) task = task with { Separator = sep };
        return task;
    }

    private static bool? Bool(JsonElement root, string source, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
        : throw IclTaskValidator.Error(source, name, $"must be true or false, not {v.GetRawText()}");

    private static long? Long(JsonElement root, string source, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n
        : throw IclTaskValidator.Error(source, name, $"must be a whole number, not {v.GetRawText()}");

    private static int? Int(JsonElement root, string source, string name) =>
        Long(root, source, name) is not { } n ? null
        : n is >= 1 and <= 100_000 ? (int)n
        : throw IclTaskValidator.Error(source, name, $"must be between 1 and 100000, not {n}");
}
