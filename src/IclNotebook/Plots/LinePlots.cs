using System.Net;
using System.Text.Json.Nodes;

namespace IclNotebook.Plots;

/// <summary>Line charts over a category axis (layers, residual-stream points): one line per series, hover with exact values.</summary>
public static class LinePlots
{
    private static readonly string[] Colours =
        ["rgb(33,102,172)", "rgb(178,24,43)", "rgb(27,120,55)", "rgb(118,42,131)", "rgb(224,130,20)", "rgb(90,90,90)"];

    /// <summary>
    /// Lines of <paramref name="series"/> (name, one value per x label) over <paramref name="x"/>;
    /// <paramref name="dashed"/> series names are drawn thin and dashed (e.g. single prompts behind their mean).
    /// </summary>
    public static PlotlyFigure Lines(string title, string xTitle, string yTitle, IReadOnlyList<string> x,
        IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, IReadOnlySet<string>? dashed = null, int width = 900, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(series);
        var data = new JsonArray();
        int solid = 0;
        foreach (var (name, values) in series)
        {
            if (values.Count != x.Count) throw new IclException($"Line '{name}' has {values.Count} values for {x.Count} x labels.");
            bool thin = dashed?.Contains(name) == true;
            data.Add(new JsonObject
            {
                ["type"] = "scatter",
                ["mode"] = thin ? "lines" : "lines+markers",
                ["name"] = WebUtility.HtmlEncode(name),
                ["x"] = new JsonArray(x.Select(v => (JsonNode)JsonValue.Create(WebUtility.HtmlEncode(v))).ToArray()),
                ["y"] = new JsonArray(values.Select(v => double.IsFinite(v) ? (JsonNode)JsonValue.Create(v) : null).ToArray()),
                ["line"] = thin
                    ? new JsonObject { ["color"] = "rgba(120,120,120,0.5)", ["width"] = 1, ["dash"] = "dot" }
                    : new JsonObject { ["color"] = Colours[solid++ % Colours.Length], ["width"] = 2.5 },
                ["hovertemplate"] = $"{WebUtility.HtmlEncode(name)}<br>%{{x}}: %{{y:.4f}}<extra></extra>",
            });
        }
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["width"] = width,
            ["height"] = height,
            ["plot_bgcolor"] = "white",
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle }, ["type"] = "category" },
            ["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = yTitle }, ["zeroline"] = true, ["gridcolor"] = "#eee" },
        };
        return new PlotlyFigure(PlotlyFigure.PlainText(title), data, layout, width, height);
    }

    /// <summary>
    /// Lines of means with their confidence intervals drawn as error bars (hover: mean [low, high]), one per series over
    /// <paramref name="x"/>.
    /// </summary>
    public static PlotlyFigure LinesWithIntervals(string title, string xTitle, string yTitle, IReadOnlyList<string> x,
        IReadOnlyList<(string Name, IReadOnlyList<Statistics.Interval> Values)> series, int width = 900, int height = 480)
    {
        ArgumentNullException.ThrowIfNull(series);
        var figure = Lines(title, xTitle, yTitle, x, series.Select(s => (s.Name, (IReadOnlyList<double>)s.Values.Select(v => v.Mean).ToArray())).ToArray(),
            null, width, height);
        for (int i = 0; i < series.Count; i++)
        {
            var values = series[i].Values;
            var trace = figure.Data[i]!.AsObject();
            trace["error_y"] = new JsonObject
            {
                ["type"] = "data",
                ["symmetric"] = false,
                ["array"] = new JsonArray(values.Select(v => Finite(v.High - v.Mean)).ToArray()),
                ["arrayminus"] = new JsonArray(values.Select(v => Finite(v.Mean - v.Low)).ToArray()),
                ["thickness"] = 1.5,
            };
            trace["customdata"] = new JsonArray(values.Select(v => (JsonNode)new JsonArray(Finite(v.Low), Finite(v.High))).ToArray());
            string level = values.Count > 0 ? $"{values[0].Level * 100:0}%" : "95%";
            trace["hovertemplate"] = $"{WebUtility.HtmlEncode(series[i].Name)}<br>%{{x}}: %{{y:.4f}} " +
                $"[%{{customdata[0]:.4f}}, %{{customdata[1]:.4f}}] ({level} interval)<extra></extra>";
        }
        return figure;
    }

    /// <summary>Grouped bars of means with their intervals as error bars, one colour per series, over the categories <paramref name="x"/>.</summary>
    public static PlotlyFigure BarsWithIntervals(string title, string xTitle, string yTitle, IReadOnlyList<string> x,
        IReadOnlyList<(string Name, IReadOnlyList<Statistics.Interval> Values)> series, int width = 900, int height = 480)
    {
        var figure = LinesWithIntervals(title, xTitle, yTitle, x, series, Math.Max(width, 200 + 40 * x.Count * Math.Max(1, series.Count) / 2), height);
        foreach (var node in figure.Data)
        {
            var trace = node!.AsObject();
            string colour = trace["line"]!["color"]!.GetValue<string>();
            trace["type"] = "bar";
            trace.Remove("mode");
            trace.Remove("line");
            trace["marker"] = new JsonObject { ["color"] = colour };
        }
        figure.Layout["barmode"] = "group";
        return figure;
    }

    private static JsonValue? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
