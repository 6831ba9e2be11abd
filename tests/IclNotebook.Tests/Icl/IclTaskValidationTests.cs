using System.Text.Json.Nodes;
using IclNotebook.Icl;

namespace IclNotebook.Tests.Icl;

/// <summary>One case per validation rule: the message names the file, the field or entry, and the fix.</summary>
public class IclTaskValidationTests
{
    private static readonly Dictionary<string, Action<JsonObject>> Edits = new()
    {
        ["name missing"] = t => t.Remove("name"),
        ["name empty"] = t => t["name"] = " ",
        ["name not a string"] = t => t["name"] = 3,
        ["unknown field"] = t => t["demo"] = new JsonArray(),
        ["demoTemplate unknown placeholder"] = t => t["demoTemplate"] = "Review: {input} Sentiment: {lable}",
        ["demoTemplate without label"] = t => t["demoTemplate"] = "Review: {input}",
        ["queryTemplate uses label"] = t => t["queryTemplate"] = "Review: {input} Sentiment: {label}",
        ["queryTemplate missing"] = t => t.Remove("queryTemplate"),
        ["answerTemplate uses input"] = t => t["answerTemplate"] = " {input}",
        ["separator empty"] = t => t["separator"] = "",
        ["demos empty"] = t => t["demos"] = new JsonArray(),
        ["demos not an array"] = t => t["demos"] = "x",
        ["demo entry not an object"] = t => t["demos"]!.AsArray()[0] = "x",
        ["demo label empty"] = t => t["demos"]![1]!["label"] = "",
        ["demo entry unknown field"] = t => t["demos"]![0]!["lable"] = "x",
        ["queries empty"] = t => t["queries"] = new JsonArray(),
        ["query input missing"] = t => t["queries"]![0]!.AsObject().Remove("input"),
        ["corruption missing"] = t => t.Remove("corruption"),
        ["corruption kind unknown"] = t => t["corruption"]!["kind"] = "swap",
        ["corruption field of another kind"] = t => t["corruption"]!["seed"] = 1,
        ["label map empty"] = t => t["corruption"]!["map"] = new JsonObject(),
        ["label map value not a string"] = t => t["corruption"]!["map"]!["positive"] = 1,
        ["explicit count mismatch"] = t => t["corruption"] = new JsonObject { ["kind"] = "explicit", ["labels"] = IclTestData.Strings("negative") },
        ["shuffle one demo"] = t =>
        {
            t["demos"] = new JsonArray(IclTestData.Example("Great food.", "positive"));
            t["corruption"] = new JsonObject { ["kind"] = "shuffle", ["seed"] = 1 };
        },
        ["shuffle seed not an integer"] = t => t["corruption"] = new JsonObject { ["kind"] = "shuffle", ["seed"] = 1.5 },
        ["corruption changes nothing"] = t => t["corruption"]!["map"] = new JsonObject { ["neutral"] = "mixed" },
    };

    public static TheoryData<string, string, string> Cases => new()
    {
        { "name missing", "name: missing", "add \"name\"" },
        { "name empty", "name: is missing or empty", "give the task a name" },
        { "name not a string", "name: must be a string", "not a number" },
        { "unknown field", "demo: unknown field", "allowed fields here are: name, demoTemplate" },
        { "demoTemplate unknown placeholder", "demoTemplate: unknown placeholder {lable}", "allowed placeholders are {input} and {label}" },
        { "demoTemplate without label", "demoTemplate: does not use {label}", "must contain {input} and {label}" },
        { "queryTemplate uses label", "queryTemplate: must not use {label}", "use only {input}" },
        { "queryTemplate missing", "queryTemplate: missing", "add \"queryTemplate\"" },
        { "answerTemplate uses input", "answerTemplate: must not use {input}", "use only {label}" },
        { "separator empty", "separator: is empty", "\"\\n\"" },
        { "demos empty", "demos: is empty", "add at least one" },
        { "demos not an array", "demos: must be an array", "not a string" },
        { "demo entry not an object", "demos[0]: must be an object", "\"input\"" },
        { "demo label empty", "demos[1].label: is missing or empty", "give the example's label" },
        { "demo entry unknown field", "demos[0].lable: unknown field", "input, label" },
        { "queries empty", "queries: is empty", "add at least one" },
        { "query input missing", "queries[0].input: missing", "add \"input\"" },
        { "corruption missing", "corruption: missing", "label-map" },
        { "corruption kind unknown", "corruption.kind: unknown kind 'swap'", "use one of: label-map, explicit, shuffle" },
        { "corruption field of another kind", "corruption.seed: unknown field", "kind, map" },
        { "label map empty", "corruption.map: is empty", "map at least one" },
        { "label map value not a string", "corruption.map[\"positive\"]: must be a string", "corrupted label" },
        { "explicit count mismatch", "corruption.labels: has 1 labels for 2 demos", "one corrupted label per demo" },
        { "shuffle one demo", "corruption: kind 'shuffle' needs at least 2 demos", "derangement" },
        { "shuffle seed not an integer", "corruption.seed: must be a whole number", "1.5" },
        { "corruption changes nothing", "corruption: changes no demo label", "patching between them measures nothing" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rule_is_reported_with_file_field_and_fix(string rule, string fieldAndProblem, string fix)
    {
        var e = Assert.Throws<IclException>(() => IclTask.Parse(IclTestData.Json(Edits[rule]), "tasks/bad.json"));
        Assert.StartsWith($"tasks/bad.json: {fieldAndProblem}", e.Message, StringComparison.Ordinal);
        Assert.Contains(fix, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_rule_has_a_case() => Assert.Equal(Edits.Keys.Order(), Cases.Select(c => (string)c[0]).Order());

    [Fact]
    public void The_base_task_is_valid() => Assert.Equal("tiny", IclTask.Parse(IclTestData.Json(), "tasks/ok.json").Name);

    [Fact]
    public void Invalid_json_names_the_1_based_line_and_column()
    {
        var e = Assert.Throws<IclException>(() => IclTask.Parse("{\"name\": \"x\",\n  \"demos\": [,]}", "tasks/bad.json"));
        Assert.StartsWith("tasks/bad.json: invalid JSON at line 2, column 13:", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_must_be_an_object_or_a_datasets_pairs()
    {
        var e = Assert.Throws<IclException>(() => IclTask.Parse("42", "tasks/bad.json"));
        Assert.StartsWith("tasks/bad.json: (root): must be a JSON object", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => IclTask.Parse("[]", "tasks/bad.json"));               // an array is a dataset's pairs
        Assert.StartsWith("tasks/bad.json: the dataset has 0 pair(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_label_map_key_is_an_error()
    {
        string json = IclTestData.Json().Replace("\"map\":{", "\"map\":{\"positive\":\"mixed\",", StringComparison.Ordinal);
        var e = Assert.Throws<IclException>(() => IclTask.Parse(json, "tasks/bad.json"));
        Assert.StartsWith("tasks/bad.json: corruption.map.positive: appears twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_allowed()
    {
        string json = IclTestData.Json().Replace("{\"name\"", "{ // a task\n\"name\"", StringComparison.Ordinal).Replace("}}}", "},},}", StringComparison.Ordinal);
        Assert.Equal("tiny", IclTask.Parse(json, "tasks/ok.json").Name);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var e = Assert.Throws<IclException>(() => IclTask.Load("/no/such/task.json"));
        Assert.Contains("'/no/such/task.json'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_fields_default_to_newline_and_space_label()
    {
        var task = IclTask.Parse(IclTestData.Json(t => { t.Remove("separator"); t.Remove("answerTemplate"); }), "tasks/ok.json");
        Assert.Equal("\n", task.Separator);
        Assert.Equal(" {label}", task.AnswerTemplate);
    }

    [Fact]
    public void Tasks_built_in_code_are_validated_too()
    {
        var task = IclTask.Parse(IclTestData.Json(), "tasks/ok.json") with { QueryTemplate = "Q: {input} {label}" };
        var e = Assert.Throws<IclException>(() => task.BuildPrompts(new IclNotebook.Tokenization.Gpt2Tokenizer()));
        Assert.StartsWith("task 'tiny': queryTemplate: must not use {label}", e.Message, StringComparison.Ordinal);
    }
}
