using System.Globalization;
using System.Text.Json.Nodes;
using IclNotebook.Patching;

namespace IclNotebook.Plots;

/// <summary>
/// An approximate result (attribution patching) against the exact one: one point per component,
/// exact normalised effect on x, approximate on y, the diagonal y = x for reference, and the
/// Pearson correlation in the title. Hover names the component.
/// </summary>
public static class ComparisonPlot
{
    /// <summary>Scatter of <paramref name="approximate"/> against <paramref name="exact"/> (same target and shape).</summary>
    public static PlotlyFigure Scatter(PatchResult approximate, PatchResult exact)
    {
        ArgumentNullException.ThrowIfNull(approximate);
        ArgumentNullException.ThrowIfNull(exact);
        var (pearson, maxError) = AttributionPatching.Compare(approximate, exact);
        var a = approximate.Normalised;
        var e = exact.Normalised;
        var points = Enumerable.Range(0, e.Count).Where(i => double.IsFinite(a[i]) && double.IsFinite(e[i])).ToList();
        var labels = points.ToDictionary(i => i, i => string.Join(", ",
            PatchEffects.Unflatten(exact, i).Select((v, d) => $"{exact.Axes[d]} {exact.Labels[d][v]}")));
        double lo = points.Count == 0 ? -1 : Math.Min(-1, points.Min(i => Math.Min(a[i], e[i])));
        double hi = points.Count == 0 ? 1 : Math.Max(1, points.Max(i => Math.Max(a[i], e[i])));
        var title = string.Create(CultureInfo.InvariantCulture,
            $"Attribution vs exact patching ({exact.Target})<br><sup>Pearson {pearson:F3}, largest error {maxError:F3} {exact.Settings.UnitName}, " +
            $"{points.Count} components; normalised, 0 = corrupted, 1 = clean</sup>");
        var data = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "scatter", ["mode"] = "lines", ["name"] = "y = x",
                ["x"] = new JsonArray(lo, hi), ["y"] = new JsonArray(lo, hi),
                ["line"] = new JsonObject { ["color"] = "#9ca3af", ["dash"] = "dash" }, ["hoverinfo"] = "skip",
            },
            new JsonObject
            {
                ["type"] = "scatter", ["mode"] = "markers", ["name"] = "components",
                ["x"] = new JsonArray(points.Select(i => (JsonNode)JsonValue.Create(e[i])).ToArray()),
                ["y"] = new JsonArray(points.Select(i => (JsonNode)JsonValue.Create(a[i])).ToArray()),
                ["text"] = new JsonArray(points.Select(i => (JsonNode)JsonValue.Create(System.Net.WebUtility.HtmlEncode(labels[i]))).ToArray()),
                ["hovertemplate"] = "%{text}<br>exact %{x:.4f}<br>attribution %{y:.4f}<extra></extra>",
                ["marker"] = new JsonObject { ["color"] = "rgb(33,102,172)", ["size"] = 6, ["opacity"] = 0.7 },
            },
        };
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["width"] = 650, ["height"] = 600,
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "Exact patching (normalised)" }, ["zeroline"] = true },
            ["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "Attribution patching (normalised)" }, ["zeroline"] = true },
            ["showlegend"] = false,
            ["plot_bgcolor"] = "white",
        };
        return new PlotlyFigure(PlotlyFigure.PlainText(title), data, layout, 650, 600);
    }
}
