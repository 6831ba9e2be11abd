using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// The function-vector protocol's straightforward reference, written from its definition: each
/// prompt run alone, one head patched per full forward. Slow (prompts × layers × heads forwards); the
/// batched computation is tested against it, and <c>icl bench fv</c> times it.
/// </summary>
public static class ReferenceIndirectEffects
{
    /// <summary>
    /// Mean <c>hook_z</c> at the last token over <paramref name="prompts"/>, each run alone: [layer, head, d_head]
    /// (caller's scope).
    /// </summary>
    public static Tensor HeadMeans(HookedTransformer model, TokenBatch prompts)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        var sum = zeros(model.Config.NLayers, model.Config.NHeads, model.Config.DHead, device: model.ModelDevice);
        foreach (var ids in prompts.Ids)
        {
            using var scope = NewDisposeScope();
            using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length], device: model.ModelDevice);
            var (logits, cache) = model.RunWithCache(tokens);
            using var _ = cache;
            logits.Dispose();
            for (int l = 0; l < model.Config.NLayers; l++)
                sum[l] = sum[l].add(cache[HookName.Z(l)][0, ids.Length - 1], Runtime.HeldScalars.One);
        }
        return sum.Over(prompts.Count);
    }

    /// <summary>
    /// P(answer) at the last token of one prompt run alone, with head <paramref name="head"/> of
    /// <paramref name="layer"/>'s last-token z set to <paramref name="z"/> (or no patch).
    /// </summary>
    public static double Probability(HookedTransformer model, IReadOnlyList<int> ids, int answer, int layer = -1, int head = -1, Tensor? z = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        using var scope = NewDisposeScope();
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.ModelDevice);
        int last = ids.Count - 1;
        Tensor logits;
        if (z is not null)
        {
            using var hooks = model.Hooks((HookName.Z(layer), (act, _) =>
            {
                var x = act.clone();                                     // [1, pos, head, d_head]
                x[0, last, head] = z;
                return x;
            }));
            logits = model.Run(tokens);
        }
        else logits = model.Run(tokens);
        return logits[0, last].to(float64).softmax(0)[answer].item<double>();
    }
}
