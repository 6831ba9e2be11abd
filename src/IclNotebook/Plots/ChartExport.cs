using System.Globalization;
using System.Net;

namespace IclNotebook.Plots;

/// <summary>
/// Figures as self-contained HTML: the full plotly.js is inlined, so the file opens offline and
/// no script is fetched from a CDN.
/// </summary>
public static class ChartExport
{
    /// <summary>A complete HTML document for <paramref name="figure"/> with plotly.js inline.</summary>
    public static string ToHtml(PlotlyFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        // <meta charset> first: browsers only look at the first 1024 bytes for it.
        w.Write("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n");
        w.Write($"<title>{WebUtility.HtmlEncode(figure.Title)}</title>\n");
        w.Write("<script type=\"text/javascript\">\n");
        w.Write(PlotlyJs.AsGlobal);
        w.Write("\n</script>\n</head>\n<body style=\"margin:0\">\n");
        w.Write($"<div id=\"figure\" style=\"width:{figure.Width}px;height:{figure.Height}px\"></div>\n");
        w.Write("<script type=\"text/javascript\">\n");
        w.Write($"var figure = {figure.ToJson()};\n");
        w.Write("Plotly.newPlot(\"figure\", figure.data, figure.layout, { responsive: true });\n");
        w.Write("</script>\n</body>\n</html>\n");
        return w.ToString();
    }

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> via a temp file and rename (never a half-written file).</summary>
    public static void SaveHtml(PlotlyFigure figure, string path)
    {
        ArgumentNullException.ThrowIfNull(figure);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var html = ToHtml(figure);
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
}
