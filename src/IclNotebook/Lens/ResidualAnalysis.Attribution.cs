using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Lens;

// apply_ln_to_stack and logit_attrs: residual stacks through the final norm and onto answer directions.
public static partial class ResidualAnalysis
{
    /// <summary>
    /// TL's <c>apply_ln_to_stack</c>: treats each component as the input to <paramref name="layer"/>
    /// (default n_layers, the unembedding) and applies that normalisation's cached scale
    /// (<c>blocks.{layer}.ln1</c>/<c>ln2.hook_scale</c>, or <c>ln_final.hook_scale</c>):
    /// centre over d_model (LayerNorm only), then divide by the scale. Like TL, it applies neither
    /// the norm's weight nor its bias. <paramref name="pos"/> must be the slice the stack was taken with.
    /// </summary>
    public static ResidualComponents ApplyLnToStack(this ActivationCache cache, HookedTransformer model, ResidualComponents residualStack,
            int? layer = null, bool mlpInput = false, PosSlice? pos = null)
    {
        ArgumentNullException.ThrowIfNull(residualStack);
        Check(cache, model);
        int at = Layer(layer, model.Config, "apply_ln_to_stack");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scaled = ApplyLn(cache, model.Config, residualStack.Components, at, mlpInput, pos ?? PosSlice.All);
        return new ResidualComponents(scaled, residualStack.Labels, true);
    }

    /// <summary>
    /// TL's <c>logit_attrs</c>: each component's contribution to the logit of
    /// <paramref name="tokens"/> (one per prompt), or to the logit difference against
    /// <paramref name="incorrectTokens"/>: <c>apply_ln_to_stack(stack, layer=-1) · W_U[:, token]</c>.
    /// As in TL this applies the final LayerNorm's cached scale itself, so give it a stack taken
    /// with <c>applyLn: false</c> for a direct logit attribution (a stack already scaled is scaled
    /// twice, exactly as TL does). Returns [component][prompt] for a stack read at one position per prompt.
    /// </summary>
    public static double[][] LogitAttrs(this ActivationCache cache, HookedTransformer model, ResidualComponents residualStack,
            IReadOnlyList<int> tokens, IReadOnlyList<int>? incorrectTokens = null, PosSlice? pos = null)
    {
        using var scope = NewDisposeScope();
        var attrs = LogitAttrsTensor(cache, model, residualStack, tokens, incorrectTokens, pos);
        if (attrs.dim() != 2)
            throw new IclException("LogitAttrs returns [component, batch] for a stack read at one position per prompt; " +
                $"this stack is [{string.Join(", ", residualStack.Components.shape)}]. " +
                "Take it with pos: PosSlice.At(-1) or PosSlice.PerPrompt(...).");
        return TensorValues.Rows(attrs);
    }

    /// <summary><see cref="LogitAttrs"/> as a tensor [component, batch, (pos)] the caller's scope owns.</summary>
    internal static Tensor LogitAttrsTensor(ActivationCache cache, HookedTransformer model, ResidualComponents residualStack,
            IReadOnlyList<int> tokens, IReadOnlyList<int>? incorrectTokens, PosSlice? pos)
    {
        ArgumentNullException.ThrowIfNull(residualStack);
        ArgumentNullException.ThrowIfNull(tokens);
        Check(cache, model);
        using var noGrad = no_grad();
        long batch = residualStack.Components.shape[1];
        var directions = Directions(model, tokens, batch, "tokens");                          // [batch, d_model]
        if (incorrectTokens is not null)
        {
            if (incorrectTokens.Count != tokens.Count)
                throw new IclException($"LogitAttrs: {tokens.Count} tokens but {incorrectTokens.Count} incorrect tokens; " +
                    "give one of each per prompt.");
            directions = directions.sub(Directions(model, incorrectTokens, batch, "incorrect tokens"));
        }
        pos ??= PosSlice.All;
        if (pos.KeepsPositions && residualStack.Components.dim() == 3)
            throw new IclException("LogitAttrs: this stack was read at one position per prompt, so the final norm's scale must be read there too: " +
                "pass the same pos the stack was taken with (e.g. pos: PosSlice.At(-1)). " +
                "TransformerLens would silently broadcast every position's scale here.");
        var scaled = ApplyLn(cache, model.Config, residualStack.Components, model.Config.NLayers, false, pos);
        if (scaled.dim() == 4) directions = directions.unsqueeze(1);                          // [batch, 1, d_model] against [c, batch, pos, d_model]
        return scaled.mul(directions).sum(-1);                                                // [component, batch, (pos)]
    }

    private static Tensor Directions(HookedTransformer model, IReadOnlyList<int> tokens, long batch, string what)
    {
        if (tokens.Count != batch)
            throw new IclException($"LogitAttrs: {tokens.Count} {what} for a stack of {batch} prompts; give one token per prompt.");
        if (tokens.Any(t => t < 0 || t >= model.Config.DVocab))
            throw new IclException($"LogitAttrs: token {tokens.First(t => t < 0 || t >= model.Config.DVocab)} is outside " +
                $"{model.Config.Name}'s vocabulary 0..{model.Config.DVocab - 1}.");
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), device: model.ModelDevice);
        return model.UnembeddingColumns(ids).t();                                            // [batch, d_model] float32
    }

    internal static Tensor ApplyLn(ActivationCache cache, ModelConfig cfg, Tensor components, int layer, bool mlpInput, PosSlice pos)
    {
        if (layer == cfg.NLayers && mlpInput)
            throw new IclException("apply_ln_to_stack: mlp_input needs a layer below n_layers (the unembedding has one norm, ln_final).");
        var x = cfg.Normalization == NormalizationType.LN ? components.sub(components.mean([-1], keepdim: true)) : components;
        string hook = layer == cfg.NLayers ? HookName.FinalScale : mlpInput ? HookName.Ln2Scale(layer) : HookName.Ln1Scale(layer);
        var scale = pos.Apply(cache[hook], hook);                                            // [batch, (pos,) 1]
        return x.div(scale);
    }
}
