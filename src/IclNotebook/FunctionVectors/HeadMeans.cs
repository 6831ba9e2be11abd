using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>Each head's mean output (<c>hook_z</c>) at the prompts' last real tokens (Todd et al.'s task-conditioned mean activation).</summary>
public static class HeadMeans
{
    /// <summary>
    /// Mean over <paramref name="prompts"/> of <c>blocks.{l}.attn.hook_z[b, last_b, h, :]</c>:
    /// [n_layers, n_heads, d_head], owned by the caller's dispose scope. One batched forward.
    /// </summary>
    public static Tensor AtLastToken(HookedTransformer model, TokenBatch prompts)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        using var scope = NewDisposeScope();
        using var tokens = prompts.ToTensor(model.ModelDevice);
        var rows = arange(prompts.Count, device: model.ModelDevice);
        var last = tensor(prompts.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
        var zHooks = Enumerable.Range(0, model.Config.NLayers).Select(HookName.Z).ToHashSet(StringComparer.Ordinal);
        var (logits, cache) = model.RunWithCache(tokens, zHooks.Contains,
            new ForwardOptions { UnembedPositions = last });
        using var _ = cache;
        logits.Dispose();
        var layers = Enumerable.Range(0, model.Config.NLayers)
            .Select(l => cache[HookName.Z(l)].index([TensorIndex.Tensor(rows), TensorIndex.Tensor(last)]).mean([0])) // [head, d_head]
            .ToArray();
        return stack(layers).MoveToOuterDisposeScope();                                          // [layer, head, d_head]
    }
}
