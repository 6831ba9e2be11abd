using System.Text.Json;
using System.Text.Json.Nodes;

namespace IclNotebook.Plots;

/// <summary>
/// A plotly.js figure (traces + layout, in plotly.js attribute names) built as plain JSON, with
/// its exports: self-contained HTML (<see cref="ToHtml"/>), PNG (<see cref="SavePng"/>) and the
/// inline notebook form (<see cref="ToNotebookHtml"/>).
/// <para>
/// Why not Plotly.NET's <c>GenericChart</c>: Plotly.NET 6 needs FSharp.Core 10.1, while the
/// notebook kernels (dotnet-repl 0.3.259, dotnet-interactive 1.0.712001) already run with
/// FSharp.Core 10.0; inside them Plotly.NET's HTML and JSON writers fail with
/// <c>MissingMethodException</c>. Plain JSON renders the same in every host. Plotly.NET still
/// supplies the plotly.js bundle (<see cref="PlotlyJs"/>).
/// </para>
/// </summary>
public sealed class PlotlyFigure
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    internal PlotlyFigure(string title, JsonArray data, JsonObject layout, int width, int height)
    {
        Title = title;
        Data = data;
        Layout = layout;
        Width = width;
        Height = height;
    }

    /// <summary>The figure's title as plain text (the layout title may hold &lt;br&gt;/&lt;sup&gt; markup).</summary>
    public string Title { get; }

    /// <summary>plotly.js traces (one heatmap per panel). Mutable: change before exporting to customise.</summary>
    public JsonArray Data { get; }

    /// <summary>plotly.js layout (title, axes, annotations, size).</summary>
    public JsonObject Layout { get; }

    /// <summary>Width in pixels the figure was laid out for.</summary>
    public int Width { get; }

    /// <summary>Height in pixels the figure was laid out for.</summary>
    public int Height { get; }

    /// <summary>The figure as plotly.js JSON: <c>{"data": [...], "layout": {...}}</c>.</summary>
    public string ToJson() => $"{{\"data\":{Data.ToJsonString(Compact)},\"layout\":{Layout.ToJsonString(Compact)}}}";

    /// <summary>A complete HTML page with plotly.js inline: opens offline, fetches nothing.</summary>
    public string ToHtml() => ChartExport.ToHtml(this);

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> (temp file + rename).</summary>
    public void SaveHtml(string path) => ChartExport.SaveHtml(this, path);

    /// <summary>Renders the figure to a PNG with headless Chromium (see <see cref="PngExport"/>).</summary>
    public void SavePng(string path) => PngExport.SavePng(this, path, Width + 40, Height + 40);

    /// <summary>
    /// An HTML fragment for a notebook output cell, on its own: a div, plotly.js inline, and a script
    /// that draws into the div. A notebook's figures share one copy of plotly.js when shown through
    /// <see cref="Notebooks.NotebookViews"/> (the notebooks' setup registers it).
    /// </summary>
    public string ToNotebookHtml() => NotebookFigureHtml.Render(this, withBundle: true);

    /// <inheritdoc/>
    public override string ToString() => $"PlotlyFigure \"{Title}\" ({Data.Count} trace{(Data.Count == 1 ? "" : "s")}, {Width}x{Height})";

    /// <summary>Plain text of a title that may hold plotly's HTML subset.</summary>
    internal static string PlainText(string markup)
    {
        var text = System.Text.RegularExpressions.Regex.Replace(markup.Replace("<br>", " — ", StringComparison.Ordinal), "<[^>]*>", "");
        return System.Net.WebUtility.HtmlDecode(text).Trim();
    }
}
