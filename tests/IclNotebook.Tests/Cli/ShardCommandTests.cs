using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>
/// A sharded <c>icl analyze</c> (3 shards, as three processes) and <c>icl merge</c>, end to end on
/// the tiny fixture model: the merged folder equals the unsharded run's, and the merge refuses
/// (one line, exit 1, no output folder) a missing, a duplicated, a foreign and a damaged shard.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class ShardCommandTests(ShardCommandTests.Runs runs) : IClassFixture<ShardCommandTests.Runs>, IDisposable
{
    private const string Targets = "resid_pre,attn_head_all_pos_every,attn_head_out_by_pos";

    private static string TaskFile(string name) => Path.Combine(AppContext.BaseDirectory, "data", "tasks", name + ".json");

    private static IclProcess.Outcome Analyze(string outDir, string? shard, string task = "sentiment", IDictionary<string, string>? env = null, params string[] more) =>
        IclProcess.Run(["analyze", "--model", Fixtures.TinyModel, "--task", TaskFile(task), "--targets", Targets, "--out", outDir, "--quiet",
            .. shard is null ? Array.Empty<string>() : ["--shard", shard], .. more], env);

    /// <summary>The unsharded run and three shards of it, made once for the class.</summary>
    public sealed class Runs : IDisposable
    {
        private readonly TempFolder _folder = new("icl-shards");
        public string Dir => _folder.Path;
        public string Whole => _folder["whole"];
        public string Shard(int k) => Path.Combine(Dir, "shards", $"shard-{k}");

        public Runs()
        {
            try
            {
                var whole = Analyze(Whole, null);
                Assert.True(whole.ExitCode == 0, whole.StdErr);
                for (int k = 0; k < 3; k++)
                {
                    var part = Analyze(Shard(k), $"{k}/3");
                    Assert.True(part.ExitCode == 0, part.StdErr);
                }
            }
            catch
            {
                _folder.Dispose();                                                  // xunit disposes no fixture whose constructor failed
                throw;
            }
        }

        public void Dispose() => _folder.Dispose();
    }

    private readonly TempFolder _dir = new("icl-merge");

    public void Dispose() => _dir.Dispose();

    /// <summary>Copies shard folders into a fresh folder of this test's and returns their paths.</summary>
    private string[] Copy(params int[] shards) => shards.Select((k, i) =>
    {
        var to = Path.Combine(_dir.Path, "in", $"copy-{i}-of-shard-{k}");
        Directory.CreateDirectory(to);
        File.Copy(Path.Combine(runs.Shard(k), "shard.json"), Path.Combine(to, "shard.json"));
        return to;
    }).ToArray();

    private static JsonElement Results(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json"))).RootElement;

    [Fact]
    public void Merged_shards_write_the_unsharded_runs_folder()
    {
        var outDir = _dir["merged"];
        var merge = IclProcess.Run(["merge", Path.Combine(runs.Dir, "shards"), "--out", outDir]);
        Assert.True(merge.ExitCode == 0, merge.StdErr);
        Assert.Equal(Path.GetFullPath(outDir), merge.StdOut.Trim());
        Assert.Contains("merged 3 shards", merge.StdErr, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(runs.Whole).Select(Path.GetFileName))
            Assert.True(File.Exists(Path.Combine(outDir, file!)), $"{file} missing from the merged folder");
        var whole = Results(runs.Whole);
        var merged = Results(outDir);
        Assert.Equal(3, merged.GetProperty("shards").GetProperty("count").GetInt32());
        foreach (var field in new[] { "model", "task", "read", "replay", "prompts", "baselines" })
            Assert.Equal(whole.GetProperty(field).GetRawText(), merged.GetProperty(field).GetRawText());
        AssertSameValues(runs.Whole, outDir);
    }

    /// <summary>Every target's values and normalised values as the same JSON text: bitwise equal.</summary>
    private static void AssertSameValues(string wholeFolder, string mergedFolder)
    {
        var whole = Results(wholeFolder).GetProperty("results");
        var merged = Results(mergedFolder).GetProperty("results");
        Assert.Equal(3, merged.GetArrayLength());
        for (int t = 0; t < 3; t++)
        {
            Assert.Equal(whole[t].GetProperty("result").GetProperty("values").GetRawText(), merged[t].GetProperty("result").GetProperty("values").GetRawText());
            Assert.Equal(whole[t].GetProperty("normalisedValues").GetRawText(), merged[t].GetProperty("normalisedValues").GetRawText());
        }
    }

    [Fact]
    public void A_missing_shard_is_named_and_nothing_is_written()
    {
        var outDir = _dir["merged"];
        var merge = IclProcess.Run(["merge", .. Copy(0, 2), "--out", outDir]);
        Assert.Equal(1, merge.ExitCode);
        Assert.Equal("icl: Shard 1/3 of 3 is missing; run icl analyze --shard 1/3 (same settings) and merge again.", Assert.Single(merge.ErrLines));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_duplicated_shard_is_named_with_both_folders()
    {
        var outDir = _dir["merged"];
        var copies = Copy(0, 1, 1, 2);
        var merge = IclProcess.Run(["merge", .. copies, "--out", outDir]);
        Assert.Equal(1, merge.ExitCode);
        var line = Assert.Single(merge.ErrLines);
        Assert.StartsWith("icl: Shard 1/3 is given 2 times", line, StringComparison.Ordinal);
        Assert.Contains(copies[1], line, StringComparison.Ordinal);
        Assert.Contains(copies[2], line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("task", "task SHA-256")]
    [InlineData("model", "model ")]
    public void Shards_of_another_run_are_refused_naming_what_differs(string what, string field)
    {
        var foreign = _dir["foreign"];
        var model = what == "model" ? Path.Combine(Fixtures.Root, "models", "tiny-neox-a") : Fixtures.TinyModel;
        var task = TaskFile("sentiment");
        if (what == "task")
        {
            // The same task with other bytes (indented otherwise): another file is another run, even if its prompts agree.
            task = _dir["sentiment.json"];
            File.WriteAllText(task, File.ReadAllText(TaskFile("sentiment")).Replace("\n", "\n ", StringComparison.Ordinal));
        }
        var outcome = IclProcess.Run(["analyze", "--model", model, "--task", task, "--targets", Targets, "--out", foreign, "--quiet", "--shard", "1/3"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        var outDir = _dir["merged"];
        var copies = Copy(0, 2);
        var merge = IclProcess.Run(["merge", copies[0], foreign, copies[1], "--out", outDir]);
        Assert.Equal(1, merge.ExitCode);
        var line = Assert.Single(merge.ErrLines);
        Assert.StartsWith($"icl: {foreign} and {copies[0]} are shards of different runs (", line, StringComparison.Ordinal);
        Assert.Contains(field, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("values")]
    [InlineData("not-a-shard")]
    public void A_damaged_shard_file_is_named_with_the_fix(string damage)
    {
        var copies = Copy(0, 1, 2);
        var file = Path.Combine(copies[1], "shard.json");
        var text = File.ReadAllText(file);
        File.WriteAllText(file, damage switch
        {
            "truncated" => text[..(text.Length / 2)],
            "values" => text.Replace("\"values\":[", "\"values\":[1.5,", StringComparison.Ordinal), // one value more than indices
            _ => "{\"kind\":\"something-else\"}",
        });
        var outDir = _dir["merged"];
        var merge = IclProcess.Run(["merge", .. copies, "--out", outDir]);
        Assert.Equal(1, merge.ExitCode);
        var line = Assert.Single(merge.ErrLines);
        Assert.StartsWith($"icl: {file}: ", line, StringComparison.Ordinal);
        Assert.Contains(damage == "not-a-shard" ? "not an icl analysis shard" : "rerun", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_rerun_shard_replaces_the_lost_one_and_auto_reads_Slurm_and_Kubernetes()
    {
        var copies = Copy(0, 2);
        // Shard 1 "was pre-empted": nothing of it exists. Rerun it alone, from a Slurm array task's variables.
        var rerun = Path.Combine(_dir.Path, "in", "rerun-1");
        var slurm = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "11", ["SLURM_ARRAY_TASK_MIN"] = "10", ["SLURM_ARRAY_TASK_MAX"] = "12" };
        var outcome = Analyze(rerun, "auto", env: slurm);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.Contains("shard 1/3 (Slurm array task 11 of 10-12", outcome.StdErr, StringComparison.Ordinal);
        var merged = _dir["merged"];
        var merge = IclProcess.Run(["merge", _dir["in"], "--out", merged]);
        Assert.True(merge.ExitCode == 0, merge.StdErr);
        AssertSameValues(runs.Whole, merged);

        // A Kubernetes Indexed Job's pod: JOB_COMPLETION_INDEX and the Job's completions as --shard-count; rerun over the old folder with --force.
        var k8s = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "2" };
        var again = Analyze(copies[1], "auto", env: k8s, more: ["--shard-count", "3", "--force"]);
        Assert.True(again.ExitCode == 0, again.StdErr);
        Assert.Contains("shard 2/3 (Kubernetes Indexed Job completion 2 of 3", again.StdErr, StringComparison.Ordinal);
        var merged2 = _dir["merged-2"];
        Assert.Equal(0, IclProcess.Run(["merge", _dir["in"], "--out", merged2]).ExitCode);
        AssertSameValues(runs.Whole, merged2);
        var noCount = Analyze(_dir["never"], "auto", env: k8s);
        Assert.Equal(1, noCount.ExitCode);
        Assert.Contains("--shard-count", Assert.Single(noCount.ErrLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir["never"]));
    }
}
