using System.Globalization;
using System.Text.Json;
using IclNotebook.Studies;
using IclNotebook.Plots;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// The output of <c>icl fv</c>: results.json (the AIE grid as a patching result and as [layer, head]
/// values, the top heads, the vector, the zero-shot table, the protocol), report.html and the figures
/// fv_aie and fv_zero_shot.
/// </summary>
public static class FunctionVectorReport
{
    public static string Json(FunctionVectorRun run, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        static object? Stat(Statistics.Interval? i) => i is null ? null : new { mean = i.Mean, low = i.Low, high = i.High };
        var doc = new
        {
            kind = "icl-fv",
            tool = new { name = "icl", version = toolVersion },
            model = new { name = run.ModelName, revision = run.Revision, processing = OptionNames.Name(run.Processing),
                dtype = OptionNames.Name(run.DType) },
            task = new { name = run.TaskName, file = run.TaskPath },
            protocol = new
            {
                definition = r.Definition, corruption = r.Corruption, topHeads = r.Options.TopHeads, shuffleSeed = r.Options.ShuffleSeed,
                layer = r.Options.Layer, meanPrompts = r.Options.MeanPrompts, exact = true,
            },
            probabilities = new { clean = r.CleanProbability, corrupted = r.CorruptedProbability },
            aie = r.Aie,
            aieLow = r.AieIntervals.Select(row => row.Select(i => i.Low)),
            aieHigh = r.AieIntervals.Select(row => row.Select(i => i.High)),
            grid = JsonDocument.Parse(r.Grid.ToJson()).RootElement.Clone(),
            topHeads = r.TopHeads.Select(t => new
            {
                layer = t.Layer, head = t.Head, label = $"L{t.Layer}H{t.Head}", aie = t.Aie,
                low = r.AieIntervals[t.Layer][t.Head].Low, high = r.AieIntervals[t.Layer][t.Head].High,
            }),
            vector = new { heads = r.Vector.Heads.Select(h => $"L{h.Layer}H{h.Head}"), norm = r.Vector.Norm, values = r.Vector.Values },
            zeroShot = new
            {
                prompts = r.ZeroShotPrompts,
                layers = r.ZeroShot.Select(z => new
                {
                    layer = z.Layer, accuracyWithout = z.AccuracyWithout, accuracyWith = z.AccuracyWith,
                    probabilityWithout = z.ProbabilityWithout, probabilityWith = z.ProbabilityWith,
                    exactWithout = Stat(z.ExactWithout), exactWith = Stat(z.ExactWith),
                }),
                best = new { layer = r.Best.Layer, accuracyWith = r.Best.AccuracyWith, probabilityWith = r.Best.ProbabilityWith },
            },
            seconds = run.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    public static IReadOnlyList<(string Name, PlotlyFigure Figure)> Figures(FunctionVectorRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        var aie = r.PlotAie($"Average indirect effect per head — {run.TaskName} on {run.ModelName}" +
            "<br><sup>ΔP(answer) on the corrupted prompts when the head's last-token output is set to its clean mean</sup>");
        var zero = r.PlotZeroShot($"Zero-shot with the function vector — {run.TaskName} on {run.ModelName}" +
            "<br><sup>the query alone, the vector added to hook_resid_post of each layer at the last token</sup>");
        return [("fv_aie", aie), ("fv_zero_shot", zero)];
    }

    public static string Html(FunctionVectorRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        var figures = Figures(run);
        var best = r.Best;
        string probabilities = string.Create(CultureInfo.InvariantCulture, $"{r.CleanProbability:F4} / {r.CorruptedProbability:F4}");
        string bestLayer = string.Create(CultureInfo.InvariantCulture,
            $"Best layer {best.Layer}: accuracy {best.AccuracyWithout:P0} → {best.AccuracyWith:P0}, " +
            $"mean P(answer) {best.ProbabilityWithout:F4} → {best.ProbabilityWith:F4} (vector norm {r.Vector.Norm:F3}).");
        return new ReportPage($"Function vectors — {run.TaskName} on {run.ModelName}")
            .Heading("Settings")
            .Settings([("model", $"{run.ModelName} ({run.Revision})"), ("processing", OptionNames.Name(run.Processing)), ("task", run.TaskName),
                ("corrupted prompts", r.Corruption), ("heads in the vector", r.TopHeads.Count.ToString(CultureInfo.InvariantCulture)),
                ("P(answer) clean / corrupted", probabilities),
                ("wall time", run.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s")])
            .Paragraph(r.Definition)
            .Heading("Average indirect effect").Figure(figures[0].Figure)
            .Table(["head", "AIE (ΔP)", "95% interval"], r.TopHeads.Select(t => (IReadOnlyList<object>)[$"L{t.Layer}H{t.Head}", t.Aie,
                r.AieIntervals[t.Layer][t.Head] is var i ? string.Create(CultureInfo.InvariantCulture, $"[{i.Low:G4}, {i.High:G4}]") : ""]))
            .Heading("Zero-shot test").Figure(figures[1].Figure)
            .Paragraph(bestLayer)
            .Table(["layer", "first token without", "first token with", "P without", "P with", "exact match without", "exact match with"],
                r.ZeroShot.Select(z => (IReadOnlyList<object>)[z.Layer, z.AccuracyWithout, z.AccuracyWith, z.ProbabilityWithout, z.ProbabilityWith,
                    z.ExactWithout?.ToString() ?? "", z.ExactWith?.ToString() ?? ""]))
            .Render();
    }

    /// <summary>Writes results.json, the figures and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(FunctionVectorRun run, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(run, toolVersion), Figures(run), Html(run), warnings);
}
