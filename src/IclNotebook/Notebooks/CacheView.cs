using System.Globalization;
using System.Text;
using IclNotebook.Hooks;

namespace IclNotebook.Notebooks;

/// <summary>An activation cache as a table: hook name, what its axes mean, shape, dtype and size.</summary>
internal static class CacheView
{
    public static string Html(ActivationCache cache)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        sb.Append(CultureInfo.InvariantCulture, $"<p>ActivationCache: {cache.Count} activations, {Megabytes(cache):F1} MB. " +
                  $"Index it with a hook name, e.g. <code>cache[\"blocks.0.attn.hook_pattern\"]</code>.</p>");
        sb.Append("<table class=\"icl-table\"><tr><th>hook</th><th>axes</th><th>shape</th><th>dtype</th><th class=\"icl-num\">MB</th></tr>");
        foreach (var (name, axes, shape, dtype, mb) in Rows(cache))
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{TokenHtml.E(name)}</code></td><td>{axes}</td><td>{shape}</td><td>{dtype}</td>" +
                      $"<td class=\"icl-num\">{mb:F2}</td></tr>");
        return sb.Append("</table>").ToString();
    }

    public static string Text(ActivationCache cache)
    {
        var rows = Rows(cache).ToList();
        int width = rows.Count == 0 ? 4 : rows.Max(r => r.Name.Length);
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"ActivationCache: {cache.Count} activations, {Megabytes(cache):F1} MB\n"));
        foreach (var (name, axes, shape, dtype, _) in rows)
            sb.Append(CultureInfo.InvariantCulture, $"  {name.PadRight(width)}  {shape,-20} {axes} {dtype}\n");
        return sb.ToString();
    }

    private static IEnumerable<(string Name, string Axes, string Shape, string DType, double Mb)> Rows(ActivationCache cache) =>
        cache.Names.Select(name =>
        {
            var t = cache[name];
            return (name, Axes(name), "[" + string.Join(", ", t.shape) + "]", t.dtype.ToString(), t.NumberOfElements * t.ElementSize / 1e6);
        });

    private static double Megabytes(ActivationCache cache) => cache.Values.Sum(t => t.NumberOfElements * t.ElementSize) / 1e6;

    /// <summary>TransformerLens's axis names for a hook, from its last name part.</summary>
    private static string Axes(string name)
    {
        var last = name[(name.LastIndexOf('.') + 1)..];
        return last switch
        {
            "hook_q" or "hook_k" or "hook_v" or "hook_z" => "[batch, pos, head, d_head]",
            "hook_attn_scores" or "hook_pattern" => "[batch, head, dest_pos, src_pos]",
            "hook_pre" or "hook_post" => "[batch, pos, d_mlp]",
            "hook_scale" => "[batch, pos, 1]",
            _ => "[batch, pos, d_model]",
        };
    }
}
