using DynamicObj;
using Plotly.NET;
using Plotly.NET.LayoutObjects;

namespace IclNotebook.Plots;

/// <summary>
/// Lays out heatmap panels side by side (like px.imshow's facet_col) with one shared RdBu colour
/// bar. Plotly objects are filled with plotly.js attribute names (zmin, colorscale,
/// hovertemplate...): the F# methods' optional arguments have no C# defaults, so building the
/// objects directly is both shorter and names exactly what ends up in the figure JSON.
/// </summary>
internal static class PanelFigure
{
    private const double Gap = 0.03;

    public static GenericChart Build(IReadOnlyList<HeatmapPanel> panels, string title, PlotOptions options, int width, int height)
    {
        int n = panels.Count;
        double panelWidth = (1 - Gap * (n - 1)) / n;
        var charts = new List<GenericChart>();
        var layout = new Layout()
            .With("title", Text(title))
            .With("width", options.Width ?? width)
            .With("height", options.Height ?? height);
        var annotations = new List<DynamicObj.DynamicObj>();
        for (int i = 0; i < n; i++)
        {
            var p = panels[i];
            string suffix = i == 0 ? "" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            double left = i * (panelWidth + Gap);
            charts.Add(GenericChart.ofTraceObject(true, Trace(p, "x" + suffix, "y" + suffix, showScale: i == n - 1, options)));
            layout.SetProperty("xaxis" + suffix, new LinearAxis()
                .With("title", Text(p.XTitle))
                .With("type", "category")
                .With("domain", new[] { left, left + panelWidth })
                .With("anchor", "y" + suffix));
            var yAxis = new LinearAxis()
                .With("type", "category")
                .With("autorange", "reversed") // row 0 (layer 0) on top, as px.imshow draws it
                .With("anchor", "x" + suffix);
            if (i == 0) yAxis.SetProperty("title", Text(p.YTitle));
            else yAxis.With("matches", "y").With("showticklabels", false);
            layout.SetProperty("yaxis" + suffix, yAxis);
            if (n > 1)
            {
                annotations.Add(new DynamicObj.DynamicObj()
                    .With("text", p.Title).With("showarrow", false)
                    .With("xref", "paper").With("yref", "paper")
                    .With("x", left + panelWidth / 2).With("y", 1.0)
                    .With("xanchor", "center").With("yanchor", "bottom"));
            }
        }
        if (annotations.Count > 0) layout.SetProperty("annotations", annotations);
        var chart = GenericChart.addLayout(layout, GenericChart.combine(charts));
        return ChartExport.SelfContained(chart);
    }

    private static Trace2D Trace(HeatmapPanel p, string xAxis, string yAxis, bool showScale, PlotOptions options)
    {
        double range = options.ColourRange > 0 && double.IsFinite(options.ColourRange)
            ? options.ColourRange
            : throw new IclException($"PlotOptions.ColourRange must be a positive number (got {options.ColourRange}); the default is 1.");
        return new Trace2D("heatmap")
            .With("name", p.Title)
            .With("x", p.X)
            .With("y", p.Y)
            .With("z", p.Z)
            .With("text", p.Hover)
            .With("hovertemplate", "%{text}<extra></extra>")
            .With("colorscale", RdBu.Colorscale())
            .With("zmin", -range)
            .With("zmax", range)
            .With("zmid", 0.0)
            .With("showscale", showScale)
            .With("colorbar", new DynamicObj.DynamicObj().With("title", Text("Normalised")))
            .With("xaxis", xAxis)
            .With("yaxis", yAxis);
    }

    private static Title Text(string text) => new Title().With("text", text);

    private static T With<T>(this T obj, string name, object value) where T : DynamicObj.DynamicObj
    {
        obj.SetProperty(name, value);
        return obj;
    }
}
