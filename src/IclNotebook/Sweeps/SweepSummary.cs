using System.Globalization;
using System.Text.Json;
using IclNotebook.Plots;
using IclNotebook.Studies;

namespace IclNotebook.Sweeps;

/// <summary>
/// The cross-task summary of a finished sweep (DIR/summary: results.json, report.html, figures), read back from every
/// task's own results.json so a resumed or sharded sweep summarises the same way: accuracy per task and shot count with
/// intervals; each task's top function-vector heads; heads ranked by their mean AIE across tasks and by how many tasks'
/// top heads they are (Todd et al.'s heads shared across tasks); patching's largest effects and anchors' crossover per task.
/// </summary>
public static class SweepSummary
{
    private sealed record TaskAccuracy(string Task, IReadOnlyList<(int Shots, double Mean, double Low, double High)> Rows);

    private sealed record TaskHeads(string Task, double[][] Aie, IReadOnlyList<string> Top);

    public static void Write(string folder, SweepOptions sweep, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var names = sweep.Tasks.Select(SweepTasks.Name).ToList();
        JsonElement Read(string task, SweepAnalysis a) =>
            JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, task, OptionNames.Name(a), "results.json"))).RootElement.Clone();
        var accuracy = sweep.Analyses.Contains(SweepAnalysis.Accuracy)
            ? names.Select(t => new TaskAccuracy(t, Read(t, SweepAnalysis.Accuracy).GetProperty("shots").EnumerateArray().Select(r =>
                (r.GetProperty("shots").GetInt32(), Stat(r, "mean"), Stat(r, "low"), Stat(r, "high"))).ToArray())).ToList()
            : [];
        var heads = sweep.Analyses.Contains(SweepAnalysis.Fv)
            ? names.Select(t => Read(t, SweepAnalysis.Fv) is var fv
                ? new TaskHeads(t, fv.GetProperty("aie").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray(),
                    fv.GetProperty("topHeads").EnumerateArray().Select(h => h.GetProperty("label").GetString()!).ToArray())
                : null!).ToList()
            : [];
        var patching = sweep.Analyses.Contains(SweepAnalysis.Patching)
            ? names.Select(t => (Task: t, Top: TopEffects(Read(t, SweepAnalysis.Patching)))).ToList()
            : [];
        var anchors = sweep.Analyses.Contains(SweepAnalysis.Anchors)
            ? names.Select(t => (Task: t, Crossover: Read(t, SweepAnalysis.Anchors).GetProperty("crossoverLayer") is { ValueKind: JsonValueKind.Number } c
                ? c.GetInt32().ToString(CultureInfo.InvariantCulture) : "none")).ToList()
            : [];

        var shared = heads.Count == 0 ? [] : SharedHeads(heads);
        var figures = new List<(string, PlotlyFigure)>();
        if (accuracy.Count > 0) figures.Add(("accuracy_by_task", AccuracyFigure(accuracy)));
        if (heads.Count > 0)
        {
            int layers = heads[0].Aie.Length, width = heads[0].Aie[0].Length;
            var mean = Enumerable.Range(0, layers).Select(l => (IReadOnlyList<double>)Enumerable.Range(0, width)
                .Select(h => heads.Average(t => t.Aie[l][h])).ToArray()).ToArray();
            var count = Enumerable.Range(0, layers).Select(l => (IReadOnlyList<double>)Enumerable.Range(0, width)
                .Select(h => (double)heads.Count(t => t.Top.Contains($"L{l}H{h}"))).ToArray()).ToArray();
            figures.Add(("aie_across_tasks", GridPlots.LayerHead($"Mean AIE across {heads.Count} tasks", [("mean AIE", mean)], "ΔP(answer)")));
            figures.Add(("top_heads_across_tasks", GridPlots.LayerHead($"In how many tasks' top {sweep.FunctionVectors.TopHeads} heads",
                [("tasks", count)], "tasks")));
        }
        var doc = new
        {
            kind = "icl-sweep-summary",
            tool = new { name = "icl", version = toolVersion },
            tasks = names,
            accuracy = accuracy.Select(a => new { task = a.Task, shots = a.Rows.Select(r => new { shots = r.Shots, mean = r.Mean, low = r.Low, high = r.High }) }),
            functionVectors = heads.Select(h => new { task = h.Task, topHeads = h.Top }),
            sharedHeads = shared.Select(s => new { head = s.Head, meanAie = s.Mean, tasksInTop = s.Tasks }),
            patching = patching.Select(p => new { task = p.Task, largest = p.Top }),
            anchors = anchors.Select(a => new { task = a.Task, crossoverLayer = a.Crossover }),
        };
        var page = new ReportPage($"Sweep over {names.Count} tasks")
            .Paragraph($"Analyses: {string.Join(", ", sweep.Analyses.Select(OptionNames.Name))}. Each task's own report is in its folder " +
                "(TASK/ANALYSIS/report.html).");
        if (accuracy.Count > 0)
        {
            var shots = accuracy.SelectMany(a => a.Rows.Select(r => r.Shots)).Distinct().Order().ToList();
            page = page.Heading("Accuracy by shots (first-token top-1, 95% intervals)")
                .Table(["task", .. shots.Select(k => $"{k} shots")], accuracy.Select(a => (IReadOnlyList<object>)[a.Task, .. shots.Select(k =>
                    a.Rows.FirstOrDefault(r => r.Shots == k) is { Shots: var s } r && s == k
                        ? string.Create(CultureInfo.InvariantCulture, $"{r.Mean:F2} [{r.Low:F2}, {r.High:F2}]") : "")]));
        }
        if (heads.Count > 0)
            page = page.Heading("Function-vector heads shared across tasks")
                .Table(["head", "mean AIE", "tasks with it in their top heads"],
                    shared.Take(20).Select(s => (IReadOnlyList<object>)[s.Head, s.Mean, s.Tasks]))
                .Table(["task", "top heads"], heads.Select(h => (IReadOnlyList<object>)[h.Task, string.Join(" ", h.Top)]));
        if (patching.Count > 0)
            page = page.Heading("Largest patching effects (normalised)")
                .Table(["task", "largest"], patching.Select(p => (IReadOnlyList<object>)[p.Task, string.Join("; ", p.Top)]));
        if (anchors.Count > 0)
            page = page.Heading("Label words as anchors: first layer where S_pq exceeds S_wp")
                .Table(["task", "crossover layer"], anchors.Select(a => (IReadOnlyList<object>)[a.Task, a.Crossover]));
        foreach (var (_, figure) in figures) page = page.Figure(figure);
        OutputFolder.WriteResults(Path.Combine(folder, "summary"), force: true, OutputFolder.Json(doc), figures, page.Render(), warnings: null);
    }

    private static double Stat(JsonElement row, string which) => row.GetProperty("accuracy").GetProperty(which).GetDouble();

    /// <summary>Heads by mean AIE across tasks, with how many tasks' top heads they are in.</summary>
    private static List<(string Head, double Mean, int Tasks)> SharedHeads(IReadOnlyList<TaskHeads> heads)
    {
        int layers = heads[0].Aie.Length, width = heads[0].Aie[0].Length;
        return Enumerable.Range(0, layers).SelectMany(l => Enumerable.Range(0, width).Select(h =>
                ($"L{l}H{h}", heads.Average(t => t.Aie[l][h]), heads.Count(t => t.Top.Contains($"L{l}H{h}")))))
            .OrderByDescending(x => x.Item2).ToList();
    }

    /// <summary>Each patching result's three largest |normalised| cells as "target label: value".</summary>
    private static string[] TopEffects(JsonElement results) =>
        results.GetProperty("results").EnumerateArray().SelectMany(r =>
        {
            var result = r.GetProperty("result");
            var values = r.GetProperty("normalisedValues").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0).ToArray();
            var shape = result.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray();
            var labels = result.GetProperty("labels").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetString()!).ToArray()).ToArray();
            return values.Select((v, i) => (v, i)).OrderByDescending(x => Math.Abs(x.v)).Take(3).Select(x =>
            {
                var where = new List<string>();
                long rest = x.i;
                for (int d = shape.Length - 1; d >= 0; d--) { where.Insert(0, labels[d][rest % shape[d]]); rest /= shape[d]; }
                return string.Create(CultureInfo.InvariantCulture, $"{string.Join("/", where)}: {x.v:F3}");
            });
        }).ToArray();

    private static PlotlyFigure AccuracyFigure(IReadOnlyList<TaskAccuracy> accuracy)
    {
        var shots = accuracy.SelectMany(a => a.Rows.Select(r => r.Shots)).Distinct().Order().ToList();
        var tasks = accuracy.Select(a => a.Task).ToArray();
        var series = shots.Select(k => ($"{k} shots", (IReadOnlyList<Statistics.Interval>)accuracy.Select(a =>
            a.Rows.FirstOrDefault(r => r.Shots == k) is var r && r.Shots == k
                ? new Statistics.Interval(r.Mean, r.Low, r.High, 0.95) : new Statistics.Interval(double.NaN, double.NaN, double.NaN, 0.95)).ToArray())).ToArray();
        return LinePlots.BarsWithIntervals("Accuracy by task<br><sup>first-token top-1 over the full vocabulary, 95% bootstrap intervals</sup>",
            "task", "accuracy", tasks, series);
    }
}
