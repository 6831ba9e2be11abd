using Plotly.NET;

namespace IclNotebook.Plots;

/// <summary>
/// Charts as self-contained HTML: the full plotly.js (bundled in Plotly.NET) is inlined, so the
/// file opens offline and no script is fetched from a CDN.
/// </summary>
public static class ChartExport
{
    /// <summary>A complete HTML document for <paramref name="chart"/> with plotly.js inline.</summary>
    public static string ToHtml(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var html = GenericChart.toEmbeddedHTML(SelfContained(chart));
        // Plotly.NET writes <meta charset> after the 3.5 MB plotly.js script; browsers only honour
        // it in the first 1024 bytes, so without this they guess (and show "âˆ'" for "−").
        int head = html.IndexOf("<head>", StringComparison.Ordinal);
        return head < 0 ? html : html.Insert(head + "<head>".Length, "<meta charset=\"UTF-8\">");
    }

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> via a temp file and rename (never a half-written file).</summary>
    public static void SaveHtml(GenericChart chart, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var html = ToHtml(chart);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new IclException($"Cannot save chart to {full}: folder {dir} does not exist; create it first.");
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, html);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The chart with plotly.js embedded in full (Plotly.NET's default links a CDN).</summary>
    internal static GenericChart SelfContained(GenericChart chart) =>
        GenericChart.addDisplayOptions(DisplayOptions.init(null, null, null, null, null, null, PlotlyJSReference.Full), chart);
}
