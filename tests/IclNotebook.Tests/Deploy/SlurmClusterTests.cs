using System.Diagnostics;
using System.Text.Json;
using IclNotebook.Tests.Cli;

namespace IclNotebook.Tests.Deploy;

/// <summary>
/// The repository's Slurm job scripts on a real cluster (the single-node one .ci/run starts): an
/// array of <c>icl analyze --shard auto</c> and the dependent merge, exactly as the README tells a
/// cluster user to submit them, give the unsharded run's numbers.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class SlurmClusterTests : IDisposable
{
    private const string Targets = "resid_pre,attn_head_all_pos_every,attn_head_out_by_pos";
    private readonly TempFolder _dir = new("icl-slurm");

    public void Dispose() => _dir.Dispose();

    private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "deploy", "slurm", name);

    private static string TaskFile => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");

    private (int ExitCode, string Out) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ICL"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "icl.dll")}";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), $"{program} did not finish in 60 s");
        return (p.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    [SlurmFact]
    public void An_array_of_shards_and_the_dependent_merge_give_the_unsharded_result()
    {
        var whole = _dir["whole"];
        // The shards get one CPU each, so analyze.sbatch gives them --threads 1; the unsharded run gets the same, since
        // torch's fused attention sums in a thread-count-dependent order (up to ~7e-7 nats apart at 1 vs 2 threads)
        // and the merge must equal it bit for bit.
        var unsharded = IclProcess.Run(["analyze", "--model", Fixtures.TinyModel, "--task", TaskFile, "--targets", Targets, "--out", whole, "--threads", "1", "--quiet"]);
        Assert.True(unsharded.ExitCode == 0, unsharded.StdErr);

        var run = _dir["run"];
        // The README's two commands (resources sized for a small test node).
        var array = Run("sbatch", "--parsable", "--array=0-2", "--cpus-per-task=1", "--mem=1G", Script("analyze.sbatch"), run,
            "--model", Fixtures.TinyModel, "--task", TaskFile, "--targets", Targets);
        Assert.True(array.ExitCode == 0, array.Out);
        var merge = Run("sbatch", "--parsable", $"--dependency=afterok:{array.Out}", "--mem=1G", Script("merge.sbatch"), run);
        Assert.True(merge.ExitCode == 0, merge.Out);

        var clock = Stopwatch.StartNew();
        while (Run("squeue", "-h", "-j", $"{array.Out},{merge.Out}").Out.Length > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"the jobs did not finish in 5 minutes:\n{Run("squeue").Out}\n{Logs()}");
            Thread.Sleep(500);
        }
        var merged = Path.Combine(run, "merged");
        Assert.True(File.Exists(Path.Combine(merged, "results.json")), $"no merged results; the jobs' logs:\n{Logs()}");
        for (int k = 0; k < 3; k++)
        {
            var log = File.ReadAllText(_dir[$"icl-analyze-{array.Out}_{k}.log"]);
            Assert.Contains($"shard {k}/3 (Slurm array task {k} of 0-2", log, StringComparison.Ordinal);
        }
        Assert.Contains("merged 3 shards", File.ReadAllText(_dir[$"icl-merge-{merge.Out}.log"]), StringComparison.Ordinal);

        using var w = JsonDocument.Parse(File.ReadAllText(Path.Combine(whole, "results.json")));
        using var m = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "results.json")));
        Assert.Equal(3, m.RootElement.GetProperty("shards").GetProperty("count").GetInt32());
        for (int t = 0; t < 3; t++)
            Assert.Equal(w.RootElement.GetProperty("results")[t].GetProperty("result").GetProperty("values").GetRawText(),
                m.RootElement.GetProperty("results")[t].GetProperty("result").GetProperty("values").GetRawText());
        Assert.Equal(w.RootElement.GetProperty("baselines").GetRawText(), m.RootElement.GetProperty("baselines").GetRawText());
    }

    /// <summary>The README's sweep on a cluster: an array of task shards, then the same script without an array for the summary.</summary>
    [SlurmFact]
    public void A_sweep_array_and_the_dependent_summary_job_write_every_task_and_the_summary()
    {
        var run = _dir["sweep"];
        string[] options = ["--model", Fixtures.TinyModel, "--tasks", "antonym,country-capital", "--analyses", "accuracy", "--prompts", "3", "--shots", "2"];
        var array = Run("sbatch", ["--parsable", "--array=0-1", "--cpus-per-task=1", "--mem=1G", Script("sweep.sbatch"), run, .. options]);
        Assert.True(array.ExitCode == 0, array.Out);
        var summary = Run("sbatch", ["--parsable", $"--dependency=afterany:{array.Out}", "--cpus-per-task=1", "--mem=1G", Script("sweep.sbatch"), run, .. options]);
        Assert.True(summary.ExitCode == 0, summary.Out);

        var clock = Stopwatch.StartNew();
        while (Run("squeue", "-h", "-j", $"{array.Out},{summary.Out}").Out.Length > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), $"the jobs did not finish in 5 minutes:\n{Run("squeue").Out}\n{Logs()}");
            Thread.Sleep(500);
        }
        foreach (var task in new[] { "antonym", "country-capital" })
            Assert.True(File.Exists(Path.Combine(run, task, "accuracy", "results.json")), $"{task} missing; the jobs' logs:\n{Logs()}");
        Assert.True(File.Exists(Path.Combine(run, "summary", "results.json")), $"no summary; the jobs' logs:\n{Logs()}");
        for (int k = 0; k < 2; k++)
            Assert.Contains($"icl-sweep: array task {k} of job {array.Out}", File.ReadAllText(_dir[$"icl-sweep-{array.Out}_{k}.log"]), StringComparison.Ordinal);
        // The summary job found both tasks done (the array's last task may already have written the summary).
        Assert.Contains("0 analyses run, 2 already done", File.ReadAllText(Directory.GetFiles(_dir.Path, $"icl-sweep-{summary.Out}_*.log").Single()), StringComparison.Ordinal);
    }

    private string Logs() =>
        string.Join("\n", Directory.GetFiles(_dir.Path, "*.log").Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
}
