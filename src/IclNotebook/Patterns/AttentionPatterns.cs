using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patterns;

/// <summary>The attention patterns of one token sequence, from one forward that unembeds only its last position.</summary>
internal static class AttentionPatterns
{
    /// <summary>A cache holding <c>blocks.{l}.attn.hook_pattern</c> [1, head, pos, pos] of every layer (or only <paramref name="layer"/>).</summary>
    public static ActivationCache Of(HookedTransformer model, IReadOnlyList<int> ids, int? layer = null)
    {
        using var scope = NewDisposeScope();
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.ModelDevice);
        var last = tensor(new long[] { ids.Count - 1 }, device: model.ModelDevice);
        Func<string, bool> wanted = layer is { } l
            ? name => name == HookName.Pattern(l)
            : name => name.EndsWith(".attn.hook_pattern", StringComparison.Ordinal);
        var (logits, cache) = model.RunWithCache(tokens, wanted, new ForwardOptions { UnembedPositions = last }); // logits of the last position only
        logits.Dispose();
        return cache;
    }
}
