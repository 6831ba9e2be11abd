using IclNotebook.Runtime;
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
    /// <summary>
    /// Processes the embedding part's tensors other than <c>W_E</c> (<c>W_pos</c>: centred over d_model in LayerNorm models).
    /// Each tensor takes the same steps in the same order as in TL's whole-state-dict pass, so a model processed part by
    /// part equals one processed at once.
    /// </summary>
    public static void ApplyEmbeddings(Dictionary<string, Tensor> sd, ModelConfig cfg, WeightProcessing processing)
    {
        if (processing == WeightProcessing.Raw) return;
        using var noGrad = no_grad();
        CenterWritingWeights(sd, cfg, [], embeddings: true);
    }

    /// <summary>
    /// A block of <c>W_E</c>'s rows as TL processes them (<c>center_writing_weights</c>: centred over d_model in LayerNorm
    /// models), in place.
    /// </summary>
    internal static void ProcessEmbeddingRows(Tensor rows, ModelConfig cfg, WeightProcessing processing)
    {
        if (processing == WeightProcessing.Raw || cfg.Normalization != NormalizationType.LN || cfg.FinalRms) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        rows.sub_(rows.mean([-1], keepdim: true));
    }

    /// <summary>
    /// The final norm's weight and bias (no bias for RMSNorm), taken out of the unembedding part to be folded into
    /// <c>W_U</c> block by block; null for raw weights, which keep their final norm.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "Returned inside FinalNorm, which the caller disposes.")]
    internal static FinalNorm? TakeFinalNorm(Dictionary<string, Tensor> sd, ModelConfig cfg, WeightProcessing processing)
    {
        if (processing == WeightProcessing.Raw) return null;
        bool layerNorm = cfg.Normalization == NormalizationType.LN;
        return new FinalNorm(Take(sd, StateDictKey.LnFinalW), layerNorm ? Take(sd, StateDictKey.LnFinalB) : null);
    }

    /// <summary>
    /// TL's <c>W_U</c> columns [d_model, n] for a block of the vocabulary, from the stored head's rows [n, d_model], with the
    /// final norm folded in (the last step of TL's <c>fold_layer_norm</c>): <paramref name="bU"/> (that block of <c>b_U</c>,
    /// changed in place) gains the bias's image, then the columns are scaled by the weight and, in LayerNorm models,
    /// centred over d_model. Centring over the vocabulary (TL's <c>center_unembed</c>)
    /// needs every block: the caller subtracts the mean of these columns.
    /// </summary>
    internal static Tensor UnembeddingColumns(Tensor headRows, Tensor bU, FinalNorm? norm, ModelConfig cfg)
    {
        var wU = headRows.t();                                                               // [d_model, n]
        if (norm is null) return wU;
        using var noGrad = no_grad();
        if (norm.B is not null && !cfg.FinalRms) bU.add_((wU * norm.B.view(-1, 1)).sum(-2), Runtime.HeldScalars.One);
        wU = wU * norm.W.view(-1, 1);
        return cfg.Normalization == NormalizationType.LN ? wU - wU.mean([0], keepdim: true) : wU;
    }

    /// <summary>Processes block <paramref name="layer"/>'s tensors: its norms folded, its writing weights centred, its value bias folded.</summary>
    public static void ApplyLayer(Dictionary<string, Tensor> sd, ModelConfig cfg, WeightProcessing processing, int layer)
    {
        if (processing == WeightProcessing.Raw) return;
        using var noGrad = no_grad();
        FoldLayerNorm(sd, cfg, [layer]);
        CenterWritingWeights(sd, cfg, [layer], embeddings: false);
        FoldValueBiases(sd, cfg, [layer]);
    }

    /// <summary>
    /// The norms' weights folded into the matrices that read the normalised stream (TL's
    /// <c>fold_layer_norm</c>). LayerNorm: ln.b into the biases, ln.w into the weights, which are then
    /// centred over d_model (LayerNormPre's output is orthogonal to the all-ones vector). RMSNorm: w
    /// only (no bias to fold, nothing to centre). Grouped k/v weights are TL's <c>_W_K</c>, <c>_W_V</c>.
    /// </summary>
    private static void FoldLayerNorm(Dictionary<string, Tensor> sd, ModelConfig cfg, int[] layers)
    {
        if (!cfg.PreNorms) return;                                                           // OLMo-2: no norm before a sublayer
        bool layerNorm = cfg.Normalization == NormalizationType.LN;
        for (int i = 0; i < layers.Length; i++)
        {
            int l = layers[i];
            using var layerScope = NewDisposeScope();
            using Tensor ln1W = Take(sd, StateDictKey.Ln1W(l));                              // taken out of the state dict: ours to free
            using Tensor? ln1B = layerNorm ? Take(sd, StateDictKey.Ln1B(l)) : null;
            foreach (var (weight, bias) in StateDictKey.Qkv(l, cfg))
            {
                var w = sd[weight];                                                          // [heads, d_model, d_head]
                if (ln1B is not null) Set(sd, bias, sd[bias].Plus((w * ln1B.view(1, -1, 1)).sum(-2)));
                w = w * ln1W.view(1, -1, 1);
                Set(sd, weight, layerNorm ? w - w.mean([1], keepdim: true) : w);
            }
            using Tensor ln2W = Take(sd, StateDictKey.Ln2W(l));
            using Tensor? ln2B = layerNorm ? Take(sd, StateDictKey.Ln2B(l)) : null;
            string wInKey = StateDictKey.WIn(l), bInKey = StateDictKey.BIn(l), wGateKey = StateDictKey.WGate(l);
            var wIn = sd[wInKey];                                                            // [d_model, d_mlp]
            if (ln2B is not null) Set(sd, bInKey, sd[bInKey].Plus((wIn * ln2B.view(-1, 1)).sum(-2)));
            wIn = wIn * ln2W.view(-1, 1);
            Set(sd, wInKey, layerNorm ? wIn - wIn.mean([0], keepdim: true) : wIn);
            if (cfg.GatedMlp) Set(sd, wGateKey, sd[wGateKey] * ln2W.view(-1, 1));            // never centred, as in TL
        }
    }

    /// <summary>
    /// Weights writing to the residual stream lose their mean over d_model (TL's
    /// <c>center_writing_weights</c>: LayerNorm models only, the learned positions only where there are any).
    /// </summary>
    private static void CenterWritingWeights(Dictionary<string, Tensor> sd, ModelConfig cfg, int[] layers, bool embeddings)
    {
        if (cfg.Normalization != NormalizationType.LN || cfg.FinalRms) return;
        if (embeddings)
        {
            if (!cfg.IsRotary)
            {
                using (NewDisposeScope())
                    Set(sd, StateDictKey.WPos, sd[StateDictKey.WPos] - sd[StateDictKey.WPos].mean([-1], keepdim: true));
            }
        }
        for (int i = 0; i < layers.Length; i++)
        {
            int l = layers[i];
            using var layerScope = NewDisposeScope();
            string wO = StateDictKey.WO(l), bO = StateDictKey.BO(l), wOut = StateDictKey.WOut(l), bOut = StateDictKey.BOut(l);
            Set(sd, wO, sd[wO] - sd[wO].mean([-1], keepdim: true));
            Set(sd, bO, sd[bO] - sd[bO].mean());
            Set(sd, wOut, sd[wOut] - sd[wOut].mean([-1], keepdim: true));
            Set(sd, bOut, sd[bOut] - sd[bOut].mean());
        }
    }

    /// <summary>b_O += sum over heads of b_V @ W_O; b_V = 0 (patterns sum to 1). A grouped b_V serves each of its group's heads.</summary>
    private static void FoldValueBiases(Dictionary<string, Tensor> sd, ModelConfig cfg, int[] layers)
    {
        for (int i = 0; i < layers.Length; i++)
        {
            int l = layers[i];
            using var layerScope = NewDisposeScope();
            string bVKey = StateDictKey.BV(l, cfg), bOKey = StateDictKey.BO(l);
            var stored = sd[bVKey];                                                          // [kv_head, d_head]
            var bV = cfg.GroupSize > 1 ? stored.repeat_interleave(cfg.GroupSize, 0) : stored; // [head, d_head]
            var wO = sd[StateDictKey.WO(l)];                                                 // [head, d_head, d_model]
            Set(sd, bOKey, sd[bOKey].Plus((bV.unsqueeze(-1) * wO).sum([0, 1])));
            Set(sd, bVKey, zeros_like(stored));
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

    /// <summary>The final norm's weight and bias (null for RMSNorm) as taken out of a state dict; the taker disposes them.</summary>
    internal sealed record FinalNorm(Tensor W, Tensor? B) : IDisposable
    {
        public void Dispose()
        {
            W.Dispose();
            B?.Dispose();
        }
    }

    private static Tensor Take(Dictionary<string, Tensor> sd, string key)
    {
        if (!sd.Remove(key, out var t)) throw new IclException($"Weight processing needs '{key}', which the state dict lacks.");
        return t;
    }
}
