using System.Globalization;
using IclNotebook.Plots;
using IclNotebook.Studies;

namespace IclNotebook.TaskVectors;

/// <summary>
/// The output of <c>icl task-vectors</c>: results.json (accuracy per layer with intervals, the baselines, every prompt's
/// answers, the protocol), report.html and the figure task_vectors.
/// </summary>
public static class TaskVectorReport
{
    public static string Json(TaskVectorRun run, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        static object Stat(Statistics.Interval i) => new { mean = i.Mean, low = i.Low, high = i.High };
        var doc = new
        {
            kind = "icl-task-vectors",
            tool = new { name = "icl", version = toolVersion },
            model = new
            {
                name = run.ModelName, revision = run.Revision, processing = OptionNames.Name(run.Processing), dtype = OptionNames.Name(run.DType),
            },
            task = new { name = run.TaskName, file = run.TaskPath },
            protocol = new { definition = r.Definition, maxNewTokens = r.MaxNewTokens, hook = "hook_resid_pre", position = "last token" },
            baselines = new
            {
                inContext = new { accuracy = Stat(r.IclAccuracy), firstToken = Stat(r.IclFirstToken) },
                zeroShot = new { accuracy = Stat(r.ZeroShotAccuracy), firstToken = Stat(r.ZeroShotFirstToken) },
            },
            layers = r.Layers.Select(l => new { layer = l.Layer, accuracy = Stat(l.Accuracy), firstToken = Stat(l.FirstToken) }),
            best = new { layer = r.Best.Layer, accuracy = Stat(r.Best.Accuracy) },
            prompts = r.Prompts.Select(p => new
            {
                query = p.Query, expected = p.Expected, dummyQuery = p.DummyQuery, inContext = p.Icl, zeroShot = p.ZeroShot,
                patched = r.Layers.Select((l, i) => new { layer = l.Layer, answer = p.Patched[i] }),
            }),
            seconds = run.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    public static IReadOnlyList<(string Name, PlotlyFigure Figure)> Figures(TaskVectorRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return [("task_vectors", run.Result.PlotAccuracy($"Task vectors — {run.TaskName} on {run.ModelName}" +
            "<br><sup>the query alone, hook_resid_pre at its last token replaced by the demonstrations' (dummy query) at the same layer</sup>"))];
    }

    public static string Html(TaskVectorRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        string F(Statistics.Interval i) => string.Create(CultureInfo.InvariantCulture, $"{i.Mean:P0} [{i.Low:P0}, {i.High:P0}]");
        var best = r.Best;
        return new ReportPage($"Task vectors — {run.TaskName} on {run.ModelName}")
            .Heading("Settings")
            .Settings([("model", $"{run.ModelName} ({run.Revision})"), ("dtype", OptionNames.Name(run.DType)), ("task", run.TaskName),
                ("prompts", r.Prompts.Count.ToString(CultureInfo.InvariantCulture)),
                ("in context / zero-shot accuracy", $"{F(r.IclAccuracy)} / {F(r.ZeroShotAccuracy)}"),
                ("wall time", run.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s")])
            .Paragraph(r.Definition)
            .Heading("Accuracy per layer").Figure(Figures(run)[0].Figure)
            .Paragraph($"Best layer {best.Layer}: {F(best.Accuracy)} with the task vector, against {F(r.ZeroShotAccuracy)} zero-shot " +
                $"and {F(r.IclAccuracy)} in context.")
            .Table(["layer", "accuracy (95% interval)", "first token (95% interval)"],
                r.Layers.Select(l => (IReadOnlyList<object>)[l.Layer, F(l.Accuracy), F(l.FirstToken)]))
            .Heading("Answers")
            .Table(["query", "expected", "dummy query", "in context", "zero-shot", $"layer {best.Layer}"],
                r.Prompts.Take(50).Select(p => (IReadOnlyList<object>)[p.Query, p.Expected, p.DummyQuery, p.Icl, p.ZeroShot,
                    p.Patched[r.Layers.ToList().IndexOf(best)]]))
            .Render();
    }

    /// <summary>Writes results.json, the figure and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(TaskVectorRun run, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(run, toolVersion), Figures(run), Html(run), warnings);
}
