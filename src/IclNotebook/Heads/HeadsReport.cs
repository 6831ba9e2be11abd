using System.Globalization;
using IclNotebook.Studies;
using IclNotebook.Plots;

namespace IclNotebook.Heads;

/// <summary>
/// The output of <c>icl heads</c>: results.json (each score grid a [layer, head] array under its
/// pattern's name: previous_token_head, duplicate_token_head, induction_head, prefix_matching),
/// report.html and the figure head_scores.
/// </summary>
public static class HeadsReport
{
    public static string Json(HeadsResult r, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(r);
        var doc = new
        {
            kind = "icl-heads",
            tool = new { name = "icl", version = toolVersion },
            model = new { name = r.ModelName, revision = r.Revision, processing = OptionNames.Name(r.Processing),
                dtype = OptionNames.Name(r.DType) },
            sequence = r.Sequence,
            tokens = r.Tokens,
            strTokens = r.StrTokens,
            scores = r.Scores.ToDictionary(s => s.Name, s => s.Values),
            definitions = r.Scores.ToDictionary(s => s.Name, s => new { options = s.Options, definition = s.Definition }),
            seconds = r.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    public static PlotlyFigure Figure(HeadsResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        string title = $"Attention-head scores — {r.ModelName}<br><sup>on {r.Sequence}; 1 = the head follows the pattern exactly</sup>";
        return HeadScores.Plot(r.Scores, title);
    }

    public static string Html(HeadsResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var page = new ReportPage($"Attention-head detection — {r.ModelName}")
            .Heading("Settings")
            .Settings([
                ("model", $"{r.ModelName} ({r.Revision})"),
                ("processing", OptionNames.Name(r.Processing)),
                ("sequence", $"{r.Sequence}, {r.Tokens.Count} tokens"),
                ("wall time", r.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s")])
            .Figure(Figure(r))
            .Heading("Top heads per score");
        page.Table(["score", "definition", "top heads"], r.Scores.Select(s => (IReadOnlyList<object>)[s.Name, s.Definition,
            string.Join(", ", s.Top(5).Select(t => string.Create(CultureInfo.InvariantCulture, $"L{t.Layer}H{t.Head} {t.Score:F3}")))]));
        return page.Render();
    }

    /// <summary>Writes results.json, the figures and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(HeadsResult r, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(r, toolVersion), [("head_scores", Figure(r))], Html(r), warnings);
}
