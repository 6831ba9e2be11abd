using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Lens;

/// <summary>Which layer outputs <see cref="ResidualAnalysis.DecomposeResid"/> includes (TL's <c>mode</c>).</summary>
public enum DecomposeMode
{
    /// <summary>Attention and MLP outputs (TL's "all").</summary>
    All,

    /// <summary>MLP outputs only (TL's "mlp").</summary>
    Mlp,

    /// <summary>Attention outputs only (TL's "attn").</summary>
    Attn,
}

/// <summary>
/// TransformerLens's residual-stream analysis on an <see cref="ActivationCache"/>, under TL's names
/// and with TL's semantics (v2.12, <c>ActivationCache.py</c>): <c>accumulated_resid</c>,
/// <c>decompose_resid</c>, <c>stack_head_results</c>, <c>apply_ln_to_stack</c> and
/// <c>logit_attrs</c>. The cache keeps no model, so each call is given it. Every call works without
/// grad in its own dispose scope; the stacks it returns own their tensors.
/// </summary>
public static partial class ResidualAnalysis
{
    /// <summary>
    /// TL's <c>accumulated_resid</c>: resid_pre of layers 0..layer-1 (and resid_mid with
    /// <paramref name="inclMid"/>), then resid_pre of <paramref name="layer"/>, or
    /// <c>final_post</c> (the last resid_post) when layer is n_layers (the default, also -1).
    /// <paramref name="mlpInput"/> adds resid_mid of <paramref name="layer"/> itself.
    /// </summary>
    public static ResidualComponents AccumulatedResid(this ActivationCache cache, HookedTransformer model, int? layer = null, bool inclMid = false,
        bool applyLn = false, PosSlice? pos = null, bool mlpInput = false)
    {
        Check(cache, model);
        var cfg = model.Config;
        int upTo = Layer(layer, cfg, "accumulated_resid");
        if ((inclMid || mlpInput) && cfg.ParallelAttnMlp)
            throw new IclException($"{cfg.Name} runs attention and MLP in parallel: there is no resid_mid, so incl_mid and mlp_input do not apply. " +
                "Use AccumulatedResid(model) without them.");
        pos ??= PosSlice.All;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var labels = new List<string>();
        var parts = new List<Tensor>();
        for (int l = 0; l <= upTo; l++)
        {
            if (l == cfg.NLayers)
            {
                parts.Add(pos.Apply(cache[HookName.ResidPost(cfg.NLayers - 1)], "final_post"));
                labels.Add("final_post");
                continue;
            }
            parts.Add(pos.Apply(cache[HookName.ResidPre(l)], HookName.ResidPre(l)));
            labels.Add($"{l}_pre");
            if ((inclMid && l < upTo) || (mlpInput && l == upTo))
            {
                parts.Add(pos.Apply(cache[HookName.ResidMid(l)], HookName.ResidMid(l)));
                labels.Add($"{l}_mid");
            }
        }
        var components = stack(parts);                                                   // [component, batch, (pos,) d_model]
        if (applyLn) components = ApplyLn(cache, cfg, components, upTo, mlpInput, pos);
        return new ResidualComponents(components, labels, applyLn);
    }

    /// <summary>
    /// TL's <c>decompose_resid</c>: the embeddings (<c>embed</c>, and <c>pos_embed</c> for learned
    /// positions) and each layer's <c>attn_out</c> and <c>mlp_out</c> before <paramref name="layer"/>
    /// (default n_layers: the whole final residual stream); <paramref name="mlpInput"/> adds
    /// <c>attn_out</c> of <paramref name="layer"/>.
    /// </summary>
    public static ResidualComponents DecomposeResid(this ActivationCache cache, HookedTransformer model, int? layer = null, bool mlpInput = false,
        DecomposeMode mode = DecomposeMode.All, bool applyLn = false, PosSlice? pos = null, bool inclEmbeds = true)
    {
        Check(cache, model);
        var cfg = model.Config;
        int upTo = Layer(layer, cfg, "decompose_resid");
        pos ??= PosSlice.All;
        bool attn = mode != DecomposeMode.Mlp, mlp = mode != DecomposeMode.Attn;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var labels = new List<string>();
        var parts = new List<Tensor>();
        void Add(string hook, string label)
        {
            parts.Add(pos.Apply(cache[hook], hook));
            labels.Add(label);
        }
        if (inclEmbeds)
        {
            Add(HookName.Embed, "embed");
            if (cache.ContainsKey(HookName.PosEmbed)) Add(HookName.PosEmbed, "pos_embed");
        }
        for (int l = 0; l < upTo; l++)
        {
            if (attn) Add(HookName.AttnOut(l), $"{l}_attn_out");
            if (mlp) Add(HookName.MlpOut(l), $"{l}_mlp_out");
        }
        if (mlpInput && attn)
        {
            if (upTo == cfg.NLayers)
                throw new IclException($"mlp_input needs a layer below {cfg.NLayers} (the MLP input of that layer); got {upTo}.");
            Add(HookName.AttnOut(upTo), $"{upTo}_attn_out");
        }
        if (parts.Count == 0) throw new IclException("decompose_resid has no components to stack: include the embeddings or pick a layer above 0.");
        var components = stack(parts);                                                   // [component, batch, (pos,) d_model]
        if (applyLn) components = ApplyLn(cache, cfg, components, upTo, mlpInput, pos);
        return new ResidualComponents(components, labels, applyLn);
    }

    /// <summary>
    /// TL's <c>stack_head_results</c>: each head's write into the residual stream,
    /// <c>z[..., h, :] @ W_O[h]</c> (TL's <c>hook_result</c>, computed from the cached <c>hook_z</c>),
    /// for every head of layers 0..layer-1 (default all), labelled <c>L{l}H{h}</c>;
    /// <paramref name="inclRemainder"/> adds <c>remainder</c> = resid_post of layer-1 minus their sum. Refused for models that
    /// normalise attention's output (<see cref="ModelConfig.PostNorms"/>), whose heads' writes are not additive.
    /// </summary>
    public static ResidualComponents StackHeadResults(this ActivationCache cache, HookedTransformer model, int layer = -1, bool inclRemainder = false,
        PosSlice? pos = null, bool applyLn = false)
    {
        Check(cache, model);
        var cfg = model.Config;
        if (cfg.PostNorms)
            throw new IclException($"stack_head_results: {cfg.Name} ({cfg.ModelType}) normalises attention's output (ln1_post) before it " +
                "joins the residual stream, so its heads' z @ W_O do not add up to what the layer writes; there is no per-head " +
                "decomposition of its residual stream. Use decompose_resid (attn_out per layer), or patch heads (hook_z) to measure them.");
        int upTo = Layer(layer, cfg, "stack_head_results");
        pos ??= PosSlice.All;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var labels = new List<string>();
        var parts = new List<Tensor>();
        for (int l = 0; l < upTo; l++)
        {
            var z = pos.Apply(cache[HookName.Z(l)], HookName.Z(l));                          // [batch, (pos,) head, d_head]
            var wO = Precision.ToResidual(model.BlockWeight(StateDictKey.WO(l)));            // [head, d_head, d_model], float32 as z
            var result = einsum("...hd,hdm->...hm", z, wO);                                  // [batch, (pos,) head, d_model]
            parts.Add(result.movedim([-2L], [0L]));                                              // [head, batch, (pos,) d_model]
            labels.AddRange(Enumerable.Range(0, cfg.NHeads).Select(h => $"L{l}H{h}"));
        }
        Tensor components;
        if (parts.Count > 0)
        {
            components = cat(parts, 0);                                                      // [layer*head, batch, (pos,) d_model]
            if (inclRemainder)
            {
                var total = pos.Apply(cache[HookName.ResidPost(upTo - 1)], HookName.ResidPost(upTo - 1));
                components = cat([components, total.sub(components.sum([0L])).unsqueeze(0)], 0);
                labels.Add("remainder");
            }
        }
        else if (inclRemainder)
            throw new IclException("stack_head_results(layer=0, incl_remainder) has no resid_post before layer 0 to take a remainder of; " +
                "pick a layer of at least 1.");
        else
            components = zeros([0L, .. pos.Apply(cache[HookName.Embed], HookName.Embed).shape], device: model.ModelDevice);
        if (applyLn) components = ApplyLn(cache, cfg, components, upTo, false, pos);
        return new ResidualComponents(components, labels, applyLn);
    }

    private static int Layer(int? layer, ModelConfig cfg, string what)
    {
        int l = layer is null or -1 ? cfg.NLayers : layer.Value;
        if (l < 0 || l > cfg.NLayers)
            throw new IclException($"{what}: layer {layer} is outside 0..{cfg.NLayers} " +
                $"({cfg.NLayers} means the final residual stream; -1 or null too).");
        return l;
    }

    private static void Check(ActivationCache cache, HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(model);
    }
}
