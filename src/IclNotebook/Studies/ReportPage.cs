using System.Globalization;
using System.Net;
using System.Text;
using IclNotebook.Plots;

namespace IclNotebook.Studies;

/// <summary>
/// A self-contained report.html built section by section: headings, paragraphs, settings and data
/// tables, figures. plotly.js is inlined once in the head and every figure draws into its own div,
/// so the page opens offline. Text is HTML-encoded; <see cref="Html"/> takes trusted markup.
/// </summary>
public sealed class ReportPage
{
    private readonly StringBuilder _body = new();
    private readonly string _title;
    private int _figures;

    public ReportPage(string title)
    {
        _title = title;
        _body.Append(CultureInfo.InvariantCulture, $"<h1>{E(title)}</h1>");
    }

    public ReportPage Heading(string text)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<h2>{E(text)}</h2>");
        return this;
    }

    public ReportPage Paragraph(string text)
    {
        _body.Append(CultureInfo.InvariantCulture, $"<p>{E(text)}</p>");
        return this;
    }

    /// <summary>Trusted markup (e.g. an attention view's own HTML).</summary>
    public ReportPage Html(string markup)
    {
        _body.Append(markup);
        return this;
    }

    /// <summary>A two-column key/value table.</summary>
    public ReportPage Settings(IEnumerable<(string Key, string Value)> rows)
    {
        _body.Append("<table>");
        foreach (var (k, v) in rows) _body.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(k)}</th><td>{E(v)}</td></tr>");
        _body.Append("</table>");
        return this;
    }

    /// <summary>A table with a header row; numbers are formatted with 4 decimals.</summary>
    public ReportPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object>> rows)
    {
        _body.Append("<table><tr>");
        foreach (var h in header) _body.Append(CultureInfo.InvariantCulture, $"<th>{E(h)}</th>");
        _body.Append("</tr>");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row) _body.Append(CultureInfo.InvariantCulture, $"<td>{E(Cell(cell))}</td>");
            _body.Append("</tr>");
        }
        _body.Append("</table>");
        return this;
    }

    public ReportPage Figure(PlotlyFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        string size = string.Create(CultureInfo.InvariantCulture, $"width:{figure.Width}px;height:{figure.Height}px;max-width:100%");
        _body.Append(CultureInfo.InvariantCulture, $"<div id=\"figure-{_figures}\" style=\"{size}\"></div>")
            .Append(CultureInfo.InvariantCulture, $"<script>Plotly.newPlot(\"figure-{_figures}\", ...(f => [f.data, f.layout])({figure.ToJson()}), " +
                $"{{ responsive: true }});</script>");
        _figures++;
        return this;
    }

    public string Render()
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html><html><head><meta charset=\"UTF-8\"><title>{E(_title)}</title><style>")
            .Append("body{font-family:sans-serif;max-width:1500px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}")
            .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}code{background:#f4f4f4}</style>")
            .Append("<script>").Append(PlotlyJs.AsGlobal).Append("</script></head><body>")
            .Append(_body).Append("</body></html>");
        return html.ToString();
    }

    private static string Cell(object cell) => cell switch
    {
        double d => d.ToString("F4", CultureInfo.InvariantCulture),
        float f => f.ToString("F4", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => cell?.ToString() ?? "",
    };

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
