using IclNotebook.Generation;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Model;

public sealed partial class HookedTransformer
{
    /// <summary>Where the running forward's tokens sit, set by generation for hooks that act by position; null in a plain forward.</summary>
    internal TokenPositions? Positions { get; set; }

    /// <summary>
    /// One generation step with a key/value cache: the step's tokens (int64 [batch, step]; <paramref name="real"/> bool
    /// [batch, step], false at left padding) through every hook at their real positions, attending to what
    /// <paramref name="cache"/> holds; returns the logits at the step's last index, [batch, d_vocab] float32. Grad mode is
    /// the caller's.
    /// </summary>
    internal Tensor Step(Tensor tokens, Tensor real, KeyValueCache cache)
    {
        using var scope = NewDisposeScope();
        tokens = CheckTokens(tokens);
        var positions = cache.BeginStep(real.to(Device));
        var shown = positions.masked_fill(real.to(Device).logical_not(), HeldScalars.Whole(-1));                   // pads at -1 for position hooks
        using var context = new Generation.ScopedPositions(this, shown, cache.PromptLengths, cache.FirstRow);
        var resid = hook_embed.call(embed.call(tokens));                                            // [batch, step, d_model]
        if (pos_embed is not null) resid = resid.Plus(hook_pos_embed!.call(pos_embed.At(positions)));
        for (int l = 0; l < Config.NLayers; l++)
        {
            using var blockScope = NewDisposeScope();
            resid = blocks[l].Step(resid, cache, l).MoveToOuterDisposeScope();
        }
        cache.EndStep();
        var last = resid.narrow(1, resid.shape[1] - 1, 1);                                          // [batch, 1, d_model]
        return unembed.call(ln_final.call(last)).squeeze(1).MoveToOuterDisposeScope();
    }
}
