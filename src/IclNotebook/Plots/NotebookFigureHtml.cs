using System.Globalization;

namespace IclNotebook.Plots;

/// <summary>
/// The inline form of a figure for notebook outputs. All outputs of a notebook share one page
/// (VS Code's webview, Jupyter's document), so plotly.js is inlined once, into the first figure a
/// kernel shows (<see cref="Notebooks.NotebookViews"/> remembers whether it has); every figure
/// queues its drawing until <c>window.Plotly</c> exists.
/// </summary>
internal static class NotebookFigureHtml
{
    /// <summary>The fragment with or without plotly.js inline.</summary>
    internal static string Render(PlotlyFigure figure, bool withBundle)
    {
        string id = "icl-figure-" + Guid.NewGuid().ToString("N")[..12];
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        w.Write($"<div id=\"{id}\" class=\"icl-figure\" style=\"width:{figure.Width}px;height:{figure.Height}px;max-width:100%\"></div>\n");
        if (withBundle)
        {
            w.Write("<script type=\"text/javascript\">\nif (!window.Plotly) {\n");
            w.Write(PlotlyJs.AsGlobal);
            w.Write("\n}\n(window.__iclPlotlyQueue || []).forEach(function (draw) { draw(); });\nwindow.__iclPlotlyQueue = [];\n</script>\n");
        }
        w.Write("<script type=\"text/javascript\">\n(function () {\n");
        w.Write($"  var figure = {figure.ToJson()};\n");
        w.Write($"  function draw() {{ Plotly.newPlot(\"{id}\", figure.data, figure.layout, {{ responsive: true }}); }}\n");
        w.Write("  if (window.Plotly) draw(); else (window.__iclPlotlyQueue = window.__iclPlotlyQueue || []).push(draw);\n");
        // The bundle came with the first figure of the kernel session; if that output is gone (cleared,
        // or a reloaded page without it), say how to get it back instead of staying blank.
        w.Write($"  setTimeout(function () {{ if (!window.Plotly) document.getElementById(\"{id}\").innerText = " +
                "\"plotly.js is not on this page: it comes with the first figure a kernel shows. " +
                "Run the setup cell (#load \\\"setup/Load.csx\\\") again, then this cell.\"; }, 5000);\n");
        w.Write("})();\n</script>\n");
        return w.ToString();
    }
}
