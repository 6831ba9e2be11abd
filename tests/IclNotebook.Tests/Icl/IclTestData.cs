using System.Text.Json.Nodes;

namespace IclNotebook.Tests.Icl;

/// <summary>Task files for the Icl tests: data/tasks (copied to the output) and a small base task to mutate.</summary>
internal static class IclTestData
{
    public static string SentimentTask => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");

    /// <summary>A valid two-demo, one-query task; <paramref name="edit"/> changes it before serialising.</summary>
    public static string Json(Action<JsonObject>? edit = null)
    {
        var task = new JsonObject
        {
            ["name"] = "tiny",
            ["demoTemplate"] = "Review: {input} Sentiment: {label}",
            ["queryTemplate"] = "Review: {input} Sentiment:",
            ["answerTemplate"] = " {label}",
            ["separator"] = "\n",
            ["demos"] = new JsonArray(Example("Great food.", "positive"), Example("Cold soup.", "negative")),
            ["queries"] = new JsonArray(Example("Lovely staff.", "positive")),
            ["corruption"] = new JsonObject
            {
                ["kind"] = "label-map",
                ["map"] = new JsonObject { ["positive"] = "negative", ["negative"] = "positive" },
            },
        };
        edit?.Invoke(task);
        return task.ToJsonString();
    }

    public static JsonObject Example(string input, string label) => new() { ["input"] = input, ["label"] = label };

    public static JsonArray Strings(params string[] items) => new(items.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
}
