using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl accuracy` end to end on the tiny fixture model with a shipped dataset, as a real process.</summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class AccuracyCommandTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-accuracy");

    public void Dispose() => _dir.Dispose();

    private static string Antonym => Path.Combine(AppContext.BaseDirectory, "data", "datasets", "function-vectors", "abstractive", "antonym.json");

    [Fact]
    public void Accuracy_on_a_pairs_file_writes_every_prompts_scores_and_intervals()
    {
        var outDir = _dir["acc"];
        var outcome = IclProcess.Run(["accuracy", "--model", Fixtures.TinyModel, "--task", Antonym, "--shots", "0,1,3", "--prompts", "7",
            "--seed", "4", "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        foreach (var file in new[] { "results.json", "report.html", "accuracy_by_shots.html", "logprob_by_shots.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("icl-accuracy", root.GetProperty("kind").GetString());
        var dataset = root.GetProperty("task").GetProperty("dataset");
        Assert.Equal(10, dataset.GetProperty("shots").GetInt32());                     // the task's own; each count shows the first k
        Assert.Equal(7, dataset.GetProperty("prompts").GetInt32());
        Assert.Equal(4, dataset.GetProperty("seed").GetInt64());
        var rows = root.GetProperty("shots");
        Assert.Equal([0, 1, 3], rows.EnumerateArray().Select(r => r.GetProperty("shots").GetInt32()));
        foreach (var row in rows.EnumerateArray())
        {
            var perPrompt = row.GetProperty("perPrompt");
            var logProbs = perPrompt.GetProperty("answerLogProb").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(7, logProbs.Length);
            var stat = row.GetProperty("answerLogProb");
            Assert.Equal(logProbs.Average(), stat.GetProperty("mean").GetDouble(), 12);
            Assert.True(stat.GetProperty("low").GetDouble() <= stat.GetProperty("mean").GetDouble());
            double accuracy = perPrompt.GetProperty("top1").EnumerateArray().Average(e => e.GetBoolean() ? 1.0 : 0.0);
            Assert.Equal(accuracy, row.GetProperty("accuracy").GetProperty("mean").GetDouble(), 12);
        }
    }

    [Theory]
    [InlineData("--shots", "0,x", "'x' is not one")]
    [InlineData("--shots", "2,2", "lists a count twice")]
    [InlineData("--prompts", "0", "positive integer")]
    public void Bad_input_gives_one_line_and_leaves_no_output_folder(string option, string value, string expected)
    {
        var outDir = _dir["bad"];
        var outcome = IclProcess.Run(["accuracy", "--model", Fixtures.TinyModel, "--task", Antonym, option, value, "--out", outDir]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Single(outcome.ErrLines);
        Assert.Contains(expected, outcome.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Sampling_options_on_a_hand_written_task_are_refused_with_the_reason()
    {
        var outDir = _dir["hand"];
        var task = Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");
        var outcome = IclProcess.Run(["lens", "--model", Fixtures.TinyModel, "--task", task, "--prompts", "5", "--out", outDir]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("is hand-written", outcome.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
