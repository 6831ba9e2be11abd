using System.Globalization;
using System.Text;
using IclNotebook.Patching;
using IclNotebook.Plots;

namespace IclNotebook.Notebooks;

/// <summary>A patching result as its heatmap, one line of run facts and its largest effects.</summary>
internal static class PatchResultView
{
    private const int Top = 8;

    /// <param name="r">the result</param>
    /// <param name="figure">how a figure is written into the page (plotly.js once per page)</param>
    public static string Html(PatchResult r, Func<PlotlyFigure, string> figure)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        sb.Append(CultureInfo.InvariantCulture, $"<p><b>{TokenHtml.E(r.Target)}</b>: {Facts(r)}</p>");
        sb.Append(figure(PatchPlots.Plot(r)));
        sb.Append(CultureInfo.InvariantCulture, $"<details><summary>Largest {Top} effects</summary><table class=\"icl-table\">" +
                  $"<tr><th>component</th><th class=\"icl-num\">normalised</th><th class=\"icl-num\">{r.Settings.UnitName}</th></tr>");
        foreach (var e in r.Largest(Top))
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{TokenHtml.E(e.Where)}</td><td class=\"icl-num\">{TokenHtml.N(e.Normalised)}</td>" +
                      $"<td class=\"icl-num\">{TokenHtml.N(e.Value)}</td></tr>");
        return sb.Append("</table></details>").ToString();
    }

    public static string Text(PatchResult r)
    {
        var sb = new StringBuilder($"{r.Target}: {Facts(r)}\n  largest effects (normalised, {r.Settings.UnitName}):\n");
        foreach (var e in r.Largest(Top))
            sb.Append(CultureInfo.InvariantCulture, $"    {e.Where,-40} {TokenHtml.N(e.Normalised),8} {TokenHtml.N(e.Value),9}\n");
        return sb.ToString();
    }

    private static string Facts(PatchResult r) =>
        string.Create(CultureInfo.InvariantCulture,
            $"[{string.Join(", ", r.Axes)}] = [{string.Join(", ", r.Shape)}], {r.Settings.EngineLabel} engine, {r.Settings.Model} " +
            $"({OptionNames.Name(r.Settings.DType)}), " +
            $"{r.Seconds:F1} s, {r.ForwardPasses} forward passes; " +
            $"baselines clean {r.CleanBaseline:F4}, corrupted {r.CorruptedBaseline:F4} {r.Settings.UnitName}.");
}
