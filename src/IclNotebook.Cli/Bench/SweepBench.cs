using System.Diagnostics;
using IclNotebook.Patching;
using IclNotebook.Progress;
using IclNotebook.Studies;
using IclNotebook.Sweeps;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench sweep</c>: a sweep over the first N shipped Function Vectors tasks (alphabetical) on seeded random weights of a
/// real model's shape, as <c>icl sweep</c> runs it (one model load; every task read, sampled and tokenized first), with the
/// whole time, each analysis's mean time per task, and peak RSS.
/// </summary>
public static class SweepBench
{
    /// <param name="tasks">How many shipped tasks.</param>
    /// <param name="analyses">The analyses run on each.</param>
    /// <param name="shape">The model shape the random weights take.</param>
    /// <param name="prompts">Prompts sampled per task (null: the sweep's default, 25).</param>
    public static void Run(int tasks, IReadOnlyList<SweepAnalysis> analyses, BenchShape shape, int? prompts)
    {
        var files = SweepTasks.Resolve("shipped").Take(tasks).ToList();
        RandomCheckpoint.InTemporaryFolder(shape, "sweep", (folder, _) =>
        {
            var output = Path.Combine(folder, "sweep");
            Console.WriteLine($"icl bench sweep: {shape.Name} (seeded random weights), {files.Count} shipped tasks " +
                $"({string.Join(", ", files.Select(SweepTasks.Name))}), analyses {string.Join(",", analyses.Select(OptionNames.Name))}, " +
                $"{prompts ?? new Icl.Datasets.DatasetSampling().Prompts} prompts per task, torch threads {TorchSharp.torch.get_num_threads()}");
            BenchReport.CollectGarbage();
            var study = new StudyOptions { Model = folder, Prompts = prompts };
            var sweep = new SweepOptions { Tasks = files, Analyses = analyses };
            var clock = Stopwatch.StartNew();
            double peak;
            SweepOutcome outcome;
            using (var rss = new RssSampler())
            {
                outcome = SweepStudy.RunAsync(study, sweep, output, PatchShard.Whole, "bench", new ProgressLines(Console.Error))
                    .GetAwaiter().GetResult();
                peak = rss.PeakMb;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            BenchReport.Line("whole sweep (load, sampling, analyses, summary)",
                $"{BenchReport.F(seconds, "F1")} s: {outcome.Ran} analyses over {outcome.Tasks} tasks, {BenchReport.F(seconds / outcome.Tasks, "F1")} s a task");
            foreach (var analysis in analyses)
            {
                var times = files.Select(f => Seconds(SweepStudy.AnalysisFolder(output, f, analysis))).Where(s => s is not null).Select(s => s!.Value).ToList();
                if (times.Count > 0)
                    BenchReport.Line($"  {OptionNames.Name(analysis)} per task",
                        $"mean {BenchReport.F(times.Average(), "F1")} s, longest {BenchReport.F(times.Max(), "F1")} s");
            }
            BenchReport.Line("peak RSS during the sweep", $"{BenchReport.F(peak, "F0")} MB");
        });
    }

    /// <summary>The analysis's own wall time, from the results.json its folder holds (null when it records none).</summary>
    private static double? Seconds(string folder)
    {
        var file = Path.Combine(folder, "results.json");
        if (!File.Exists(file)) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.TryGetProperty("seconds", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.Number ? s.GetDouble() : null;
    }
}
