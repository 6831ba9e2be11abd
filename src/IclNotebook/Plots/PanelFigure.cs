using System.Globalization;
using System.Text.Json.Nodes;

namespace IclNotebook.Plots;

/// <summary>
/// Lays out heatmap panels side by side (like px.imshow's facet_col) with one shared RdBu colour
/// bar, as plotly.js JSON. Attribute names are plotly.js's own (zmin, colorscale,
/// hovertemplate...), so the code names exactly what ends up in the figure.
/// </summary>
internal static class PanelFigure
{
    private const double Gap = 0.03;

    public static PlotlyFigure Build(IReadOnlyList<HeatmapPanel> panels, string title, PlotOptions options, int width, int height,
            string colourBarTitle = "Normalised")
    {
        int n = panels.Count;
        double panelWidth = (1 - Gap * (n - 1)) / n;
        width = options.Width ?? width;
        height = options.Height ?? height;
        var data = new JsonArray();
        var layout = new JsonObject
        {
            ["title"] = Text(title),
            ["width"] = width,
            ["height"] = height,
            ["plot_bgcolor"] = "white",
        };
        var annotations = new JsonArray();
        var marks = new List<JsonObject>();          // after every heatmap: panel i's heatmap stays trace i
        for (int i = 0; i < n; i++)
        {
            var p = panels[i];
            string suffix = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            double left = i * (panelWidth + Gap);
            data.Add(Trace(p, "x" + suffix, "y" + suffix, showScale: i == n - 1, options, colourBarTitle));
            if (Unresolved(p, "x" + suffix, "y" + suffix, legend: marks.Count == 0) is { } mark) marks.Add(mark);
            layout["xaxis" + suffix] = new JsonObject
            {
                ["title"] = Text(p.XTitle),
                ["type"] = "category",
                ["domain"] = new JsonArray(left, left + panelWidth),
                ["anchor"] = "y" + suffix,
            };
            var yAxis = new JsonObject
            {
                ["type"] = "category",
                ["autorange"] = "reversed", // row 0 (layer 0) on top, as px.imshow draws it
                ["anchor"] = "x" + suffix,
            };
            if (i == 0) yAxis["title"] = Text(p.YTitle);
            else
            {
                yAxis["matches"] = "y";
                yAxis["showticklabels"] = false;
            }
            layout["yaxis" + suffix] = yAxis;
            if (n > 1)
            {
                annotations.Add(new JsonObject
                {
                    ["text"] = p.Title,
                    ["showarrow"] = false,
                    ["xref"] = "paper",
                    ["yref"] = "paper",
                    ["x"] = left + panelWidth / 2,
                    ["y"] = 1.0,
                    ["xanchor"] = "center",
                    ["yanchor"] = "bottom",
                });
            }
        }
        foreach (var mark in marks) data.Add(mark);
        if (annotations.Count > 0) layout["annotations"] = annotations;
        return new PlotlyFigure(PlotlyFigure.PlainText(title), data, layout, width, height);
    }

    private static JsonObject Trace(HeatmapPanel p, string xAxis, string yAxis, bool showScale, PlotOptions options, string colourBarTitle)
    {
        double range = options.ColourRange > 0 && double.IsFinite(options.ColourRange)
            ? options.ColourRange
            : throw new IclException(string.Create(CultureInfo.InvariantCulture,
                $"PlotOptions.ColourRange must be a positive number (got {options.ColourRange}); the default is 1."));
        return new JsonObject
        {
            ["type"] = "heatmap",
            ["name"] = p.Title,
            ["x"] = Strings(p.X),
            ["y"] = Strings(p.Y),
            ["z"] = new JsonArray(p.Z.Select(row => (JsonNode)new JsonArray(
                row.Select(v => v is { } d && double.IsFinite(d) ? JsonValue.Create(d) : null).ToArray())).ToArray()),
            ["text"] = new JsonArray(p.Hover.Select(row => (JsonNode)Strings(row)).ToArray()),
            ["hovertemplate"] = "%{text}<extra></extra>",
            ["colorscale"] = new JsonArray(RdBu.Colorscale().Select(stop => (JsonNode)new JsonArray((double)stop[0], (string)stop[1])).ToArray()),
            ["zmin"] = -range,
            ["zmax"] = range,
            ["zmid"] = 0.0,
            ["showscale"] = showScale,
            ["colorbar"] = new JsonObject { ["title"] = Text(colourBarTitle) },
            ["xaxis"] = xAxis,
            ["yaxis"] = yAxis,
        };
    }

    /// <summary>
    /// A thin grey cross on every cell whose 95 % interval includes 0 (its sign is not resolved over the prompts), so a
    /// reader sees which colours to trust; null when there is none.
    /// </summary>
    private static JsonObject? Unresolved(HeatmapPanel p, string xAxis, string yAxis, bool legend)
    {
        if (p.IncludesZero is null) return null;
        var cells = p.IncludesZero.SelectMany((row, r) => row.Select((b, c) => (b, r, c))).Where(x => x.b).ToList();
        if (cells.Count == 0) return null;
        return new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "markers",
            ["name"] = "95% interval includes 0",
            ["showlegend"] = legend,
            ["x"] = Strings(cells.Select(x => p.X[x.c])),
            ["y"] = Strings(cells.Select(x => p.Y[x.r])),
            ["marker"] = new JsonObject { ["symbol"] = "x-thin-open", ["size"] = 7, ["color"] = "rgba(90,90,90,0.75)", ["line"] = new JsonObject { ["width"] = 1 } },
            ["hoverinfo"] = "skip",
            ["xaxis"] = xAxis,
            ["yaxis"] = yAxis,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonObject Text(string text) => new() { ["text"] = text };
}
