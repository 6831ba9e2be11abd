using System.Globalization;
using System.Net;
using System.Text;
using IclNotebook.Patching;
using IclNotebook.Plots;

namespace IclNotebook.Analysis;

/// <summary>
/// report.html: one self-contained page (settings, per-prompt baselines, the figures, the most
/// important components, how to read them). plotly.js is inlined once, in the head, and every
/// figure draws into its own div, so the page opens offline at about the size of one chart.
/// </summary>
public static class ReportHtml
{
    public static string Render(AnalysisResult r, int topK = 15)
    {
        ArgumentNullException.ThrowIfNull(r);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"UTF-8\"><title>ICL patching report</title><style>")
            .Append("body{font-family:sans-serif;max-width:1500px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}")
            .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}code{background:#f4f4f4}</style>")
            .Append("<script>").Append(PlotlyJs.AsGlobal).Append("</script></head><body>"); // once for every figure; no network
        html.Append($"<h1>In-context learning: activation patching — {E(r.Prompts.TaskName)} on {E(r.ModelName)}</h1>");
        html.Append("<h2>Settings</h2><table>");
        Row(html, "model", $"{r.ModelName} ({(r.Processing == "Raw" ? "raw checkpoint weights" : "weights processed like TransformerLens's from_pretrained")})");
        Row(html, "task", $"{r.Prompts.TaskName} ({r.Prompts.Count} prompts, {r.Prompts.CleanTokens.MaxLength} tokens padded)");
        Row(html, "corruption", $"{r.Prompts.CorruptionKind}, replayed {OptionNames.Name(r.Prompts.Replay)}");
        Row(html, "metric", r.Results.Count > 0 ? r.Results[0].Settings.Metric : "");
        Row(html, "engine", r.Results.Count > 0 ? r.Results[0].Settings.Engine : "");
        Row(html, "wall time", r.Shards is { } shards
            ? $"{r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s, the longest of {shards.Count} shards (each {string.Join(", ", shards.Seconds.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)))} s; longest/shortest {shards.Balance.ToString("F2", CultureInfo.InvariantCulture)})"
            : $"{r.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        html.Append("</table>");

        html.Append($"<h2>Baselines</h2><p>The metric ({E(Unit(r))}) at each prompt's read position, clean and corrupted.</p><table><tr><th>prompt</th><th>answer</th><th>read position</th><th>clean</th><th>corrupted</th></tr>");
        for (int i = 0; i < r.Prompts.Count; i++)
            html.Append($"<tr><td>{i}</td><td>{E(r.Prompts.AnswerStrings[i])}</td><td>{r.ReadPositions[i]}</td><td>{N(r.CleanPerPrompt[i])}</td><td>{N(r.CorruptedPerPrompt[i])}</td></tr>");
        html.Append($"<tr><th colspan=3>mean</th><th>{N(r.CleanBaseline)}</th><th>{N(r.CorruptedBaseline)}</th></tr></table>");

        int figures = 0;
        foreach (var result in r.Results.Concat(r.Attribution))
        {
            html.Append($"<h2>{E(result.Target)}{(result.Settings.Engine == AttributionPatching.EngineName ? " — attribution (approximate)" : "")}</h2>");
            var figure = PatchPlots.Plot(result);
            html.Append($"<div id=\"figure-{figures}\" style=\"width:{figure.Width}px;height:{figure.Height}px;max-width:100%\"></div>")
                .Append($"<script>Plotly.newPlot(\"figure-{figures}\", ...(f => [f.data, f.layout])({figure.ToJson()}), {{ responsive: true }});</script>");
            figures++;
        }

        html.Append($"<h2>Top {topK} components</h2><p>Largest effects (normalised metric; 1 = restores clean behaviour).</p><table><tr><th>target</th><th>index</th><th>normalised</th><th>{E(Unit(r))}</th></tr>");
        foreach (var e in r.Results.SelectMany(res => res.Largest(topK)).OrderByDescending(e => Math.Abs(e.Normalised)).Take(topK))
            html.Append($"<tr><td>{E(e.Target)}</td><td>{E(e.Where)}</td><td>{N(e.Normalised)}</td><td>{N(e.Value)}</td></tr>");
        html.Append("</table>");

        html.Append("<h2>How to read the plots</h2><p>Each cell is one patch: the corrupted prompts (demonstration labels swapped) are run with one activation replaced by its value from the clean run, and the answer's log-probability is measured. ")
            .Append("The colour is the normalised metric: 0 (white) means the patch changed nothing — the model still behaves as on the corrupted prompts; 1 (dark blue) means that activation alone restores the clean behaviour; red means the patch moves the model further away. ")
            .Append("In the residual-stream plot, a blue column shows where (which token) and from which layer on the information that carries the demonstrations' labels lives. In the head plots, Output patches a head's whole output, Query/Key/Value patch its inputs, Pattern patches where it attends.</p>");
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Unit(AnalysisResult r) => r.Results.Concat(r.Attribution).FirstOrDefault()?.Settings.Unit ?? "nats";

    private static void Row(StringBuilder html, string key, string value) => html.Append($"<tr><th>{E(key)}</th><td>{E(value)}</td></tr>");

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string N(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
