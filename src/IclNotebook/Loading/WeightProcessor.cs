using IclNotebook.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// TransformerLens's default weight processing, step for step and in TL's order, on a TL-layout
/// state dict: fold LayerNorm, centre writing weights, centre unembed, fold value biases.
/// Arithmetic order follows TL so float32 results agree to rounding.
/// </summary>
public static class WeightProcessor
{
    public static Dictionary<string, Tensor> Apply(Dictionary<string, Tensor> sd, ModelConfig cfg, WeightProcessing processing)
    {
        if (processing == WeightProcessing.Raw) return sd;
        using var noGrad = no_grad();
        FoldLayerNorm(sd, cfg);
        CenterWritingWeights(sd, cfg);
        CenterUnembed(sd);
        FoldValueBiases(sd, cfg);
        return sd;
    }

    /// <summary>ln.w, ln.b folded into the matrices that read the normalised stream, which are then
    /// centred over d_model (LayerNormPre's output is orthogonal to the all-ones vector).</summary>
    private static void FoldLayerNorm(Dictionary<string, Tensor> sd, ModelConfig cfg)
    {
        for (int l = 0; l < cfg.NLayers; l++)
        {
            using var layerScope = NewDisposeScope();
            string b = $"blocks.{l}.";
            Tensor ln1W = Take(sd, b + "ln1.w"), ln1B = Take(sd, b + "ln1.b");
            foreach (var x in new[] { "Q", "K", "V" })
            {
                var w = sd[b + "attn.W_" + x];                                              // [head, d_model, d_head]
                Set(sd, b + "attn.b_" + x, sd[b + "attn.b_" + x] + (w * ln1B.view(1, -1, 1)).sum(-2));
                w = w * ln1W.view(1, -1, 1);
                Set(sd, b + "attn.W_" + x, w - w.mean([1], keepdim: true));
            }
            Tensor ln2W = Take(sd, b + "ln2.w"), ln2B = Take(sd, b + "ln2.b");
            var wIn = sd[b + "mlp.W_in"];                                                   // [d_model, d_mlp]
            Set(sd, b + "mlp.b_in", sd[b + "mlp.b_in"] + (wIn * ln2B.view(-1, 1)).sum(-2));
            wIn = wIn * ln2W.view(-1, 1);
            Set(sd, b + "mlp.W_in", wIn - wIn.mean([0], keepdim: true));
        }
        using var finalScope = NewDisposeScope();
        Tensor lnfW = Take(sd, "ln_final.w"), lnfB = Take(sd, "ln_final.b");
        var wU = sd["unembed.W_U"];                                                         // [d_model, d_vocab]
        Set(sd, "unembed.b_U", sd["unembed.b_U"] + (wU * lnfB.view(-1, 1)).sum(-2));
        wU = wU * lnfW.view(-1, 1);
        Set(sd, "unembed.W_U", wU - wU.mean([0], keepdim: true));
    }

    /// <summary>Weights writing to the residual stream lose their mean over d_model.</summary>
    private static void CenterWritingWeights(Dictionary<string, Tensor> sd, ModelConfig cfg)
    {
        using (NewDisposeScope())
            Set(sd, "embed.W_E", sd["embed.W_E"] - sd["embed.W_E"].mean([-1], keepdim: true));
        using (NewDisposeScope())
            Set(sd, "pos_embed.W_pos", sd["pos_embed.W_pos"] - sd["pos_embed.W_pos"].mean([-1], keepdim: true));
        for (int l = 0; l < cfg.NLayers; l++)
        {
            using var layerScope = NewDisposeScope();
            string b = $"blocks.{l}.";
            Set(sd, b + "attn.W_O", sd[b + "attn.W_O"] - sd[b + "attn.W_O"].mean([-1], keepdim: true));
            Set(sd, b + "attn.b_O", sd[b + "attn.b_O"] - sd[b + "attn.b_O"].mean());
            Set(sd, b + "mlp.W_out", sd[b + "mlp.W_out"] - sd[b + "mlp.W_out"].mean([-1], keepdim: true));
            Set(sd, b + "mlp.b_out", sd[b + "mlp.b_out"] - sd[b + "mlp.b_out"].mean());
        }
    }

    /// <summary>Softmax is translation invariant: centring the unembed changes logits, not log-probs.</summary>
    private static void CenterUnembed(Dictionary<string, Tensor> sd)
    {
        using var scope = NewDisposeScope();
        Set(sd, "unembed.W_U", sd["unembed.W_U"] - sd["unembed.W_U"].mean([-1], keepdim: true));
        Set(sd, "unembed.b_U", sd["unembed.b_U"] - sd["unembed.b_U"].mean());
    }

    /// <summary>b_O += sum over heads of b_V @ W_O; b_V = 0 (patterns sum to 1).</summary>
    private static void FoldValueBiases(Dictionary<string, Tensor> sd, ModelConfig cfg)
    {
        for (int l = 0; l < cfg.NLayers; l++)
        {
            using var layerScope = NewDisposeScope();
            string b = $"blocks.{l}.";
            var bV = sd[b + "attn.b_V"];                                                    // [head, d_head]
            var wO = sd[b + "attn.W_O"];                                                    // [head, d_head, d_model]
            Set(sd, b + "attn.b_O", sd[b + "attn.b_O"] + (bV.unsqueeze(-1) * wO).sum([0, 1]));
            Set(sd, b + "attn.b_V", zeros_like(bV));
        }
    }

    /// <summary>
    /// Replaces an entry with a value computed in a step's own dispose scope (moved out of it, so the
    /// step's temporaries go when it ends) and frees the old tensor handle.
    /// </summary>
    private static void Set(Dictionary<string, Tensor> sd, string key, Tensor value)
    {
        var old = sd[key];
        sd[key] = value.MoveToOuterDisposeScope();
        old.Dispose();
    }

    private static Tensor Take(Dictionary<string, Tensor> sd, string key)
    {
        if (!sd.Remove(key, out var t)) throw new IclException($"Weight processing needs '{key}', which the state dict lacks.");
        return t;
    }
}
