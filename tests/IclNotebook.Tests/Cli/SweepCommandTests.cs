using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl sweep` end to end on the tiny fixture model over two shipped datasets, as real processes.</summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class SweepCommandTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-sweep");

    public void Dispose() => _dir.Dispose();

    private static string[] Args(string folder, params string[] more) =>
        ["sweep", "--model", Fixtures.TinyModel, "--tasks", "antonym,country-capital", "--prompts", "3", "--shots", "3", "--out", folder, .. more];

    [Fact]
    public void A_sweep_writes_each_task_and_a_summary_and_resumes_without_recomputing()
    {
        var folder = _dir["sweep"];
        var first = IclProcess.Run(Args(folder, "--analyses", "accuracy,fv,patching"));
        Assert.True(first.ExitCode == 0, first.StdErr);
        Assert.Equal(Path.GetFullPath(folder), first.StdOut.Trim());
        foreach (var task in new[] { "antonym", "country-capital" })
            foreach (var analysis in new[] { "accuracy", "fv", "patching" })
                Assert.True(File.Exists(Path.Combine(folder, task, analysis, "results.json")), $"{task}/{analysis} missing");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary", "results.json")));
        var root = summary.RootElement;
        Assert.Equal(["antonym", "country-capital"], root.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, root.GetProperty("accuracy").GetArrayLength());
        Assert.Equal([0, 1, 2, 3], root.GetProperty("accuracy")[0].GetProperty("shots").EnumerateArray().Select(s => s.GetProperty("shots").GetInt32()));
        Assert.Equal(8, root.GetProperty("sharedHeads").GetArrayLength());                   // 2 layers x 4 heads, ranked
        Assert.True(File.Exists(Path.Combine(folder, "summary", "report.html")));
        Assert.Empty(Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories));       // ICL_PNG=0 (IclProcess): HTML figures only
        Assert.Contains(Directory.GetFiles(folder, "*.html", SearchOption.AllDirectories), f => !f.EndsWith("report.html", StringComparison.Ordinal));

        // Resuming finds everything done and recomputes nothing.
        var written = File.GetLastWriteTimeUtc(Path.Combine(folder, "antonym", "fv", "results.json"));
        var again = IclProcess.Run(Args(folder, "--analyses", "accuracy,fv,patching"));
        Assert.True(again.ExitCode == 0, again.StdErr);
        Assert.Contains("0 analyses run, 6 already done", again.StdErr, StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(folder, "antonym", "fv", "results.json")));

        // Other settings in the same folder are refused, naming what differs.
        var other = IclProcess.Run(Args(folder, "--analyses", "accuracy,fv,patching", "--seed", "9"));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("seed: task's there, 9 now", other.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Shards_take_every_other_task_and_the_last_one_done_writes_the_summary()
    {
        var folder = _dir["sharded"];
        var zero = IclProcess.Run(Args(folder, "--analyses", "accuracy,anchors", "--shard", "0/2"));
        Assert.True(zero.ExitCode == 0, zero.StdErr);
        Assert.True(Directory.Exists(Path.Combine(folder, "antonym", "anchors")));
        Assert.False(Directory.Exists(Path.Combine(folder, "country-capital")));
        Assert.False(Directory.Exists(Path.Combine(folder, "summary")));
        var one = IclProcess.Run(Args(folder, "--analyses", "accuracy,anchors", "--shard", "1/2"));
        Assert.True(one.ExitCode == 0, one.StdErr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary", "results.json")));
        Assert.Equal(2, summary.RootElement.GetProperty("anchors").GetArrayLength());
        using var anchors = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "country-capital", "anchors", "results.json")));
        Assert.Equal("raw", anchors.RootElement.GetProperty("model").GetProperty("processing").GetString());
    }

    [Theory]
    [InlineData("--tasks", "nothing-like-this", "is neither a file nor a shipped dataset's name")]
    [InlineData("--analyses", "accuracy,lens", "Unknown SweepAnalysis 'lens'")]
    public void Bad_input_gives_one_line_and_leaves_no_folder(string option, string value, string expected)
    {
        var folder = _dir["bad"];
        string[] tasks = option == "--tasks" ? [] : ["--tasks", "antonym"];
        var outcome = IclProcess.Run(["sweep", "--model", Fixtures.TinyModel, .. tasks, option, value, "--out", folder]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Single(outcome.ErrLines);
        Assert.Contains(expected, outcome.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
    }
}
