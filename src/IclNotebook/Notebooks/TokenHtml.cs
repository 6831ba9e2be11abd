using System.Globalization;
using System.Net;
using System.Text;

namespace IclNotebook.Notebooks;

/// <summary>
/// Tokens as coloured boxes (alternating pastel backgrounds, so token boundaries show), with
/// spaces as "·" and newlines as "↵", the position and id on hover, and chosen positions marked.
/// </summary>
internal static class TokenHtml
{
    private static readonly string[] Backgrounds = ["#dbeafe", "#fde68a", "#d1fae5", "#fce7f3", "#e0e7ff", "#fee2e2"];

    public const string Style =
        "<style>.icl-tok{display:inline-block;font-family:monospace;font-size:12px;padding:0 2px;margin:1px;border-radius:3px;" +
        "white-space:pre;color:#111}" +
        ".icl-tok.icl-diff{outline:2px solid #dc2626}.icl-tok.icl-read{outline:2px solid #2563eb}" +
        ".icl-table{border-collapse:collapse;font-size:13px}" +
        ".icl-table td,.icl-table th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}" +
        ".icl-table th{background:#f3f4f6}.icl-num{text-align:right;font-family:monospace}</style>";

    /// <summary>Visible form of a token: spaces as "·", newlines as "↵".</summary>
    public static string Visible(string token) => token.Replace(" ", "·", StringComparison.Ordinal).Replace("\n", "↵", StringComparison.Ordinal);

    /// <param name="tokens">Token strings.</param>
    /// <param name="ids">Token ids (hover).</param>
    /// <param name="diff">Positions outlined red (differ from the other prompt).</param>
    /// <param name="read">Position outlined blue (where the metric reads), or -1.</param>
    public static string Render(IReadOnlyList<string> tokens, IReadOnlyList<int> ids, ISet<int>? diff = null, int read = -1)
    {
        var sb = new StringBuilder("<div style=\"line-height:1.9\">");
        for (int i = 0; i < tokens.Count; i++)
        {
            var cls = "icl-tok" + (diff?.Contains(i) == true ? " icl-diff" : "") + (i == read ? " icl-read" : "");
            string background = Backgrounds[i % Backgrounds.Length];
            sb.Append(CultureInfo.InvariantCulture, $"<span class=\"{cls}\" style=\"background:{background}\" title=\"position {i}, id {ids[i]}\">")
              .Append(WebUtility.HtmlEncode(Visible(tokens[i])))
              .Append("</span>");
        }
        return sb.Append("</div>").ToString();
    }

    public static string E(string s) => WebUtility.HtmlEncode(s);

    public static string N(double v) => double.IsFinite(v)
        ? v.ToString("0.0000", CultureInfo.InvariantCulture)
        : v.ToString(CultureInfo.InvariantCulture);
}
