using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl generate` and `icl task-vectors` end to end on the shipped toy model, as real processes.</summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class GenerationCommandTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-generation");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Generate_streams_the_continuation_and_says_why_it_stopped()
    {
        var outcome = IclProcess.Run(["generate", "--model", "toy-icl-2l", "--text", "apple red\nriver blue\nchair green\nriver",
            "--max-new-tokens", "6", "--stop", "\\n"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.StartsWith("apple red\nriver blue\nchair green\nriver blue", outcome.StdOut, StringComparison.Ordinal);  // it recalls the mapping
        Assert.Contains("toy-icl-2l, float32: 6 tokens", outcome.StdErr, StringComparison.Ordinal);
        Assert.Contains("tokens/s, cached); reached --max-new-tokens 6]", outcome.StdErr, StringComparison.Ordinal);
        var bad = IclProcess.Run(["generate", "--model", "toy-icl-2l", "--text", "apple", "--top-k", "3"]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("top-k and top-p restrict sampling: give a temperature above 0 too", bad.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Task_vectors_write_each_layers_accuracy_beside_the_baselines()
    {
        var outDir = _dir["tv"];
        var outcome = IclProcess.Run(
            ["task-vectors", "--model", "toy-icl-2l", "--task", "toy-recall-dataset", "--prompts", "12", "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        foreach (var file in new[] { "results.json", "report.html", "task_vectors.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("icl-task-vectors", root.GetProperty("kind").GetString());
        Assert.Equal([0, 1], root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("layer").GetInt32()));
        var prompts = root.GetProperty("prompts").EnumerateArray().ToArray();
        Assert.Equal(12, prompts.Length);
        double inContext = root.GetProperty("baselines").GetProperty("inContext").GetProperty("accuracy").GetProperty("mean").GetDouble();
        double matched = prompts.Count(p => p.GetProperty("inContext").GetString()!.Trim().StartsWith(p.GetProperty("expected").GetString()!.Trim(),
            StringComparison.Ordinal)) / 12.0;
        Assert.Equal(matched, inContext, 12);
        Assert.True(inContext > 0.9, $"in context {inContext}");
        var wrongLayer = IclProcess.Run(
            ["task-vectors", "--model", "toy-icl-2l", "--task", "toy-recall-dataset", "--layers", "5", "--out", _dir["bad"]]);
        Assert.NotEqual(0, wrongLayer.ExitCode);
        Assert.Contains("Task-vector layers must be among 0..1", wrongLayer.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir["bad"]), "nothing is written when the input is refused");
    }
}
