using System.Globalization;
using IclNotebook.Plots;
using IclNotebook.Studies;

namespace IclNotebook.Circuits;

/// <summary>
/// The output of <c>icl circuit</c>: results.json (each ranking's grid of normalised effects over every sender and receiver,
/// its Pearson r against the exact grid, its faithfulness curve, the circuit's edges with every prompt's value), report.html and
/// the figures circuit (the graph) and faithfulness (the curves). Per-prompt values are kept for the circuit's edges; the whole
/// grids keep means (GPT-2 small's grid has 157 x 445 cells).
/// </summary>
public static class CircuitReport
{
    public static string Json(CircuitStudyResult run, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(run);
        var grid = run.Chosen.Grid;
        var doc = new
        {
            kind = "icl-circuit",
            tool = new { name = "icl", version = toolVersion },
            model = new
            {
                name = run.ModelName, revision = run.Revision, processing = OptionNames.Name(run.Processing), dtype = OptionNames.Name(run.DType),
            },
            task = new { name = run.TaskName, file = run.TaskPath, prompts = run.Prompts },
            metric = run.Metric,
            baselines = new { clean = grid.CleanBaseline, corrupted = grid.CorruptedBaseline, cleanPerPrompt = grid.CleanPerPrompt,
                corruptedPerPrompt = grid.CorruptedPerPrompt },
            definition = Definition,
            senders = grid.Senders.Select(s => s.Label),
            receivers = grid.Receivers.Select(r => r.Label),
            circuit = new
            {
                ranking = run.Chosen.Method,
                edges = run.Circuit.Select(e => new
                {
                    sender = e.Sender.Label, receiver = e.Receiver.Label, normalised = e.Normalised, value = e.Value,
                    perPrompt = grid.PerPrompt[IndexOf(grid.Senders, e.Sender)][IndexOf(grid.Receivers, e.Receiver)],
                }),
            },
            rankings = run.Rankings.Select(r => new
            {
                method = r.Method,
                engine = OptionNames.Name(r.Grid.Engine),
                integratedGradientSteps = r.Grid.IntegratedGradientSteps,
                pearsonToExact = r.Pearson,
                normalised = r.Grid.Senders.Select((_, s) => r.Grid.Receivers.Select((_, c) => r.Grid.Normalised(s, c))),
                faithfulness = r.Faithfulness?.Points.Select(p => new { edges = p.Edges, faithfulness = p.Faithfulness, value = p.Value }),
            }),
            seconds = run.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    /// <summary>The definitions the report and results.json carry.</summary>
    public const string Definition =
        "Path patching (Wang et al. 2022): for a sender (the token embeddings, a head's own output, an MLP's output) and a receiver " +
        "(a head's query, key or value input, an MLP's input, the logits), the corrupted run with the sender's output taken from the " +
        "clean run, every other head and MLP frozen at its corrupted value so the change reaches the receiver directly, the receiver's " +
        "input recomputed with it and everything after it free; effect = (metric - corrupted) / (clean - corrupted). EAP: the sender's " +
        "change times the gradient of the metric at the receiver's own input in the corrupted run; EAP-IG: that gradient averaged over " +
        "runs whose token embeddings move from the corrupted towards the clean ones (k / m, k = 1..m). A circuit of k edges is the " +
        "top k of a ranking by |effect|; its faithfulness, computed exactly, is the clean prompts run with every edge outside the " +
        "circuit carrying its sender's corrupted output, normalised the same way (1: the whole model, 0: the corrupted run).";

    public static IReadOnlyList<(string Name, PlotlyFigure Figure)> Figures(CircuitStudyResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var figures = new List<(string, PlotlyFigure)>
        {
            ("circuit", CircuitPlot.Graph($"Circuit — {run.TaskName} on {run.ModelName}<br><sup>the top {run.Circuit.Count} edges by " +
                $"{run.Chosen.Method}; width = |normalised effect|, dotted = negative</sup>", run.Circuit, run.Layers, run.Heads)),
        };
        var curves = run.Rankings.Where(r => r.Faithfulness is not null).ToArray();
        if (curves.Length > 0)
        {
            var sizes = curves[0].Faithfulness!.Points.Select(p => p.Edges.ToString(CultureInfo.InvariantCulture)).ToArray();
            figures.Add(("faithfulness", LinePlots.Lines($"Faithfulness of the top-k circuits — {run.TaskName} on {run.ModelName}" +
                    "<br><sup>the clean prompts with every other edge at its corrupted value; 1 = the whole model</sup>",
                "edges in the circuit (top k of the ranking)", "faithfulness", sizes,
                curves.Select(r => (r.Method, (IReadOnlyList<double>)r.Faithfulness!.Points.Select(p => p.Faithfulness).ToArray())).ToArray())));
        }
        return figures;
    }

    public static string Html(CircuitStudyResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var ci = CultureInfo.InvariantCulture;
        var figures = Figures(run);
        var grid = run.Chosen.Grid;
        var page = new ReportPage($"Circuit — {run.TaskName} on {run.ModelName}")
            .Heading("Settings")
            .Settings([("model", $"{run.ModelName} ({run.Revision})"), ("dtype", OptionNames.Name(run.DType)), ("task", run.TaskName),
                ("prompts", run.Prompts.ToString(ci)), ("metric", run.Metric),
                ("clean / corrupted", string.Create(ci, $"{grid.CleanBaseline:F4} / {grid.CorruptedBaseline:F4}")),
                ("graph", string.Create(ci, $"{grid.Senders.Count} senders x {grid.Receivers.Count} receivers")),
                ("wall time", run.Seconds.ToString("F1", ci) + " s")])
            .Paragraph(Definition)
            .Heading("The circuit").Figure(figures[0].Figure)
            .Table(["edge", "normalised effect", "mean metric"],
                run.Circuit.Select(e => (IReadOnlyList<object>)[e.Label, e.Normalised.ToString("F3", ci), e.Value.ToString("F4", ci)]))
            .Heading("Rankings")
            .Table(["ranking", "Pearson r to the exact grid", $"faithfulness at {run.Options.TopK} edges", "smallest circuit reaching 0.8"],
                run.Rankings.Select(r => (IReadOnlyList<object>)[r.Method, r.Pearson?.ToString("F3", ci) ?? "—",
                    r.Faithfulness?.Points.FirstOrDefault(p => p.Edges == run.Options.TopK)?.Faithfulness.ToString("F3", ci) ?? "—",
                    r.Faithfulness?.Reaching(0.8)?.Edges.ToString(ci) ?? "—"]));
        if (figures.Count > 1) page.Figure(figures[1].Figure);
        else page.Paragraph($"{run.ModelName} normalises the sum of its heads' outputs after attention: an edge-level circuit run is not " +
            "defined, so no faithfulness curve (path patching and edge attribution are).");
        return page.Render();
    }

    /// <summary>Writes results.json, the figures and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(CircuitStudyResult run, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(run, toolVersion), Figures(run), Html(run), warnings);

    private static int IndexOf<T>(IReadOnlyList<T> list, T item)
    {
        for (int i = 0; i < list.Count; i++)
            if (EqualityComparer<T>.Default.Equals(list[i], item)) return i;
        return -1;
    }
}
