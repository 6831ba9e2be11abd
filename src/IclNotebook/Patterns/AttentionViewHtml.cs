using System.Globalization;
using System.Net;
using System.Text;

namespace IclNotebook.Patterns;

/// <summary>
/// The interactive attention view's HTML: head buttons, the tokens, an info line; weights are
/// embedded as thousandths of the lower triangle per head. Plain DOM script, no libraries, so it
/// works offline in notebook outputs and report pages alike (several views per page).
/// </summary>
internal static class AttentionViewHtml
{
    public static string Render(AttentionView view)
    {
        string id = "icl-attn-" + Guid.NewGuid().ToString("N")[..12];
        int n = view.Tokens.Count;
        var sb = new StringBuilder();
        sb.Append("<style>.icl-attn{font-family:sans-serif;font-size:13px;margin:6px 0}" +
                ".icl-attn button{margin:1px;padding:1px 7px;border:1px solid #bbb;background:#f8f8f8;border-radius:3px;cursor:pointer}")
          .Append(".icl-attn button.on{background:#2166ac;color:white;border-color:#2166ac}.icl-attn .toks{line-height:2;margin:6px 0}")
          .Append(".icl-attn .tok{display:inline-block;font-family:monospace;font-size:12px;padding:0 2px;margin:1px;" +
                "border:1px solid #ddd;border-radius:3px;white-space:pre;cursor:default}")
          .Append(".icl-attn .tok.sel{outline:2px solid #b2182b}.icl-attn .info{color:#444;min-height:1.3em}</style>");
        sb.Append(CultureInfo.InvariantCulture, $"<div id=\"{id}\" class=\"icl-attn\"><div><b>{WebUtility.HtmlEncode(view.Title)}</b> — head: ");
        for (int h = 0; h < view.Heads; h++)
        {
            string on = h == view.Head ? " class=\"on\"" : "";
            sb.Append(CultureInfo.InvariantCulture, $"<button data-head=\"{h}\"{on}>{h}</button>");
        }
        sb.Append(" · hover shows: <button data-mode=\"dest\" class=\"on\">where a token attends</button>" +
            "<button data-mode=\"src\">who attends to a token</button></div><div class=\"toks\">");
        for (int i = 0; i < n; i++)
        {
            string token = WebUtility.HtmlEncode(Visible(view.Tokens[i]));
            sb.Append(CultureInfo.InvariantCulture, $"<span class=\"tok\" data-pos=\"{i}\" title=\"position {i}\">{token}</span>");
        }
        sb.Append("</div><div class=\"info\">Hover a token (click to pin it).</div></div>");
        sb.Append("<script type=\"text/javascript\">(function(){var root=document.getElementById(\"").Append(id).Append("\");");
        sb.Append("var n=").Append(n.ToString(CultureInfo.InvariantCulture)).Append(";var w=[");
        for (int h = 0; h < view.Heads; h++)
        {
            if (h > 0) sb.Append(',');
            sb.Append('[');
            var rows = view.Pattern[h];
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++)
                {
                    if (i > 0 || j > 0) sb.Append(',');
                    sb.Append(((int)Math.Round(rows[i][j] * 1000)).ToString(CultureInfo.InvariantCulture));
                }
            sb.Append(']');
        }
        sb.Append("];var head=").Append(view.Head.ToString(CultureInfo.InvariantCulture)).Append(';');
        sb.Append(Script);
        sb.Append("})();</script>");
        return sb.ToString();
    }

    /// <summary>Weight (i attends to j) = w[head][i(i+1)/2 + j] / 1000 for j &lt;= i.</summary>
    private const string Script =
        "var mode='dest',pinned=-1,toks=root.querySelectorAll('.tok'),info=root.querySelector('.info');" +
        "function at(i,j){return j>i?0:w[head][i*(i+1)/2+j]/1000;}" +
        "function show(p){var vals=[],max=0,k;for(k=0;k<n;k++){var v=mode==='dest'?at(p,k):at(k,p);vals.push(v);if(v>max)max=v;}" +
        "for(k=0;k<n;k++){var a=max>0?vals[k]/max:0;toks[k].style.background='rgba(33,102,172,'+a.toFixed(3)+')';" +
        "toks[k].style.color=a>0.6?'white':'#111';" +
        "toks[k].title='position '+k+(mode==='dest'?': '+p+' attends here with ':': attends to '+p+' with ')+vals[k].toFixed(3);" +
        "toks[k].classList.toggle('sel',k===p);}" +
        "var best=vals.indexOf(max);" +
        "info.textContent=(mode==='dest'?'Position '+p+' attends most to position '+best+' (weight '+max.toFixed(3)+')'" +
        ":'Position '+p+' gets most attention from position '+best+' (weight '+max.toFixed(3)+')')" +
        "+'; colours are scaled to that weight. Head '+head+'.';}" +
        "function clear(){for(var k=0;k<n;k++){toks[k].style.background='';toks[k].style.color='';toks[k].classList.remove('sel');}" +
        "info.textContent='Hover a token (click to pin it).';}" +
        "toks.forEach(function(t){var p=+t.dataset.pos;t.addEventListener('mouseenter',function(){if(pinned<0)show(p);});" +
        "t.addEventListener('mouseleave',function(){if(pinned<0)clear();});" +
        "t.addEventListener('click',function(){pinned=pinned===p?-1:p;if(pinned<0)clear();else show(p);});});" +
        "root.querySelectorAll('button[data-head]').forEach(function(b){b.addEventListener('click',function(){head=+b.dataset.head;" +
        "root.querySelectorAll('button[data-head]').forEach(function(x){x.classList.toggle('on',x===b);});if(pinned>=0)show(pinned);});});" +
        "root.querySelectorAll('button[data-mode]').forEach(function(b){b.addEventListener('click',function(){mode=b.dataset.mode;" +
        "root.querySelectorAll('button[data-mode]').forEach(function(x){x.classList.toggle('on',x===b);});if(pinned>=0)show(pinned);});});";

    private static string Visible(string token) => token.Replace(" ", "·", StringComparison.Ordinal).Replace("\n", "↵", StringComparison.Ordinal);
}
