using System.Globalization;
using System.Text;
using IclNotebook.Model;

namespace IclNotebook.Notebooks;

/// <summary>A model as its configuration: sizes, weight processing, device, hook points and parameter count.</summary>
internal static class ModelView
{
    public static string Html(HookedTransformer m)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        sb.Append(CultureInfo.InvariantCulture, $"<p>HookedTransformer <b>{TokenHtml.E(m.Config.Name)}</b>: {m.HookPoints.Count} hook points, " +
                  $"e.g. <code>{Hooks.HookName.Pattern(0)}</code>.</p><table class=\"icl-table\">");
        foreach (var (key, value) in Rows(m)) sb.Append(CultureInfo.InvariantCulture, $"<tr><th>{key}</th><td>{TokenHtml.E(value)}</td></tr>");
        return sb.Append("</table>").ToString();
    }

    public static string Text(HookedTransformer m) =>
        $"HookedTransformer {m.Config.Name}: " + string.Join(", ", Rows(m).Select(r => $"{r.Key} {r.Value}"));

    private static IEnumerable<(string Key, string Value)> Rows(HookedTransformer m)
    {
        var c = m.Config;
        long parameters = m.parameters().Sum(p => p.NumberOfElements);
        yield return ("architecture", Architecture(c));
        yield return ("layers", c.NLayers.ToString(CultureInfo.InvariantCulture));
        yield return ("heads", $"{c.NHeads} x d_head {c.DHead}" + (c.Grouped ? $", {c.NKv} key/value heads (grouped-query)" : ""));
        yield return ("d_model", c.DModel.ToString(CultureInfo.InvariantCulture));
        yield return ("d_mlp", c.DMlp.ToString(CultureInfo.InvariantCulture));
        yield return ("vocabulary", c.DVocab.ToString(CultureInfo.InvariantCulture));
        yield return ("context", c.NCtx.ToString(CultureInfo.InvariantCulture));
        yield return ("parameters", (parameters / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " M");
        yield return ("weights", m.Processing == WeightProcessing.Default ? "processed like TransformerLens's from_pretrained" : "raw checkpoint");
        yield return ("dtype", OptionNames.Name(c.DType) + (c.DType.IsHalf() ? " (norms, softmax, residual sums and logits in float32)" : ""));
        yield return ("tokenizer", m.HasTokenizer ? m.Tokenizer.Description : "none (token ids only)");
        yield return ("device", m.ModelDevice.ToString());
    }

    /// <summary>"gpt_neox: LayerNorm, rotary (4 of 16 dims), parallel attention + MLP, gelu" and the like.</summary>
    private static string Architecture(ModelConfig c)
    {
        var parts = new List<string> { c.Normalization == NormalizationType.RMS ? "RMSNorm" : "LayerNorm" };
        parts.Add(c.IsRotary
            ? $"rotary ({(c.RotaryDim == c.DHead ? "all" : $"{c.RotaryDim} of {c.DHead}")} dims, " +
              $"base {c.RotaryBase.ToString(CultureInfo.InvariantCulture)})"
            : "learned positions");
        if (c.ParallelAttnMlp) parts.Add("parallel attention + MLP");
        parts.Add(c.GatedMlp ? $"gated MLP ({c.ActFn})" : c.ActFn);
        return $"{c.ModelType}: {string.Join(", ", parts)}";
    }
}
