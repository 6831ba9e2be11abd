using IclNotebook.Model;
using System.Globalization;
using IclNotebook.Studies;
using IclNotebook.Plots;

namespace IclNotebook.Anchors;

/// <summary>
/// The output of <c>icl anchors</c>: results.json (flows per layer, per prompt, label positions, losses), report.html
/// and the figure anchors_flows.
/// </summary>
public static class AnchorsReport
{
    public static string Json(AnchorsRun run, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        object Flow(InformationFlow f) => new { S_wp = f.TextToLabel, S_pq = f.LabelToTarget, S_ww = f.Other };
        var doc = new
        {
            kind = "icl-anchors",
            tool = new { name = "icl", version = toolVersion },
            model = new { name = run.ModelName, revision = run.Revision, processing = OptionNames.Name(r.Processing),
                dtype = OptionNames.Name(r.DType) },
            task = new { name = run.TaskName, file = run.TaskPath },
            definition = r.Definition,
            labelPositions = r.LabelPositions,
            labelTokens = r.LabelTokens,
            targetPositions = r.TargetPositions,
            loss = r.Loss,
            flows = r.Flows.Select(Flow),
            flowIntervals = r.FlowIntervals.Select(f => new
            {
                S_wp = new[] { f.TextToLabel.Low, f.TextToLabel.High },
                S_pq = new[] { f.LabelToTarget.Low, f.LabelToTarget.High },
                S_ww = new[] { f.Other.Low, f.Other.High },
            }),
            perPrompt = r.PerPrompt.Select(p => p.Select(Flow)),
            crossoverLayer = r.Crossover,
            seconds = run.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    public static PlotlyFigure Figure(AnchorsRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        string title = $"Information flow through the label words — {run.TaskName} on {run.ModelName}" +
            $"<br><sup>mean saliency |Σ_h A ⊙ ∂L/∂A| per edge type, mean over prompts ({OptionNames.Name(r.Processing)} weights)</sup>";
        return r.Plot(title);
    }

    public static string Html(AnchorsRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var r = run.Result;
        return new ReportPage($"Label words as anchors — {run.TaskName} on {run.ModelName}")
            .Heading("Settings")
            .Settings([("model", $"{run.ModelName} ({run.Revision})"),
                ("processing", r.Processing == WeightProcessing.Raw
                    ? "raw (the checkpoint's own weights, as the paper)" : OptionNames.Name(r.Processing)),
                ("task", run.TaskName), ("label words (first prompt)", string.Join(", ", r.LabelPositions[0].Zip(r.LabelTokens[0], (p, t) => $"{p}: '{t}'"))),
                ("wall time", run.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s")])
            .Paragraph(r.Definition)
            .Figure(Figure(run))
            .Paragraph(r.Crossover is { } c
                ? $"From layer {c} on, the prediction reads the label words (S_pq) more than the label words gather from the text (S_wp): " +
                  "the paper's shallow-gathering, deep-reading picture."
                : "S_pq never exceeds S_wp in this model: the paper's shallow-gathering, deep-reading picture does not show here.")
            .Table(["layer", "S_wp", "S_pq", "S_ww"], r.Flows.Select((f, l) => (IReadOnlyList<object>)[l, f.TextToLabel, f.LabelToTarget, f.Other]))
            .Render();
    }

    /// <summary>Writes results.json, the figures and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(AnchorsRun run, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(run, toolVersion), [("anchors_flows", Figure(run))], Html(run), warnings);
}
