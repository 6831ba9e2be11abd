using IclNotebook.Model;

namespace IclNotebook.Circuits;

/// <summary>
/// A component whose output path patching sends from the clean run: the token embeddings (<c>hook_embed</c>, labelled
/// <c>embed</c>: the input node of a circuit graph), an attention head (its own output, TransformerLens's <c>hook_result</c>,
/// labelled <c>L1H0</c>) or a layer's MLP (<c>hook_mlp_out</c>, labelled <c>1_mlp_out</c>).
/// </summary>
/// <param name="Layer">The component's block; -1 for the embeddings.</param>
/// <param name="Head">The head; null for the MLP.</param>
public sealed record PathSender(int Layer, int? Head)
{
    /// <summary>Head <paramref name="head"/> of layer <paramref name="layer"/>.</summary>
    public static PathSender AttentionHead(int layer, int head) => new(layer, head);

    /// <summary>The MLP of layer <paramref name="layer"/>.</summary>
    public static PathSender Mlp(int layer) => new(layer, null);

    /// <summary>The token embeddings, before every block (positional embeddings are the same in both runs).</summary>
    public static PathSender Embed { get; } = new(-1, null);

    /// <summary>Whether this sender is a head.</summary>
    public bool IsHead => Head is not null;

    /// <summary>Whether this sender is the token embeddings.</summary>
    public bool IsEmbed => Layer < 0;

    /// <summary>Whether this sender is an MLP.</summary>
    public bool IsMlp => !IsHead && !IsEmbed;

    /// <summary>TransformerLens's label: <c>embed</c>, <c>L1H0</c> for a head, <c>1_mlp_out</c> for an MLP.</summary>
    public string Label => IsEmbed ? "embed" : Head is { } h ? $"L{Layer}H{h}" : $"{Layer}_mlp_out";

    public override string ToString() => Label;

    /// <summary>The embeddings, then every head and MLP of <paramref name="config"/>, layer by layer (a layer's heads, then its MLP).</summary>
    public static IReadOnlyList<PathSender> All(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(0, config.NLayers)
            .SelectMany(l => Enumerable.Range(0, config.NHeads).Select(h => AttentionHead(l, h)).Append(Mlp(l)))
            .Prepend(Embed)
            .ToArray();
    }

    /// <summary>Every head of <paramref name="config"/>, layer by layer.</summary>
    public static IReadOnlyList<PathSender> Heads(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(0, config.NLayers).SelectMany(l => Enumerable.Range(0, config.NHeads).Select(h => AttentionHead(l, h))).ToArray();
    }

    /// <summary>Throws an <see cref="IclException"/> naming this sender when <paramref name="config"/> has no such component.</summary>
    public void Check(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (Layer < -1 || Layer >= config.NLayers || IsEmbed && Head is not null || Head is { } h && (h < 0 || h >= config.NHeads))
            throw new IclException($"Sender {Label} is not a component of {config.Name} ({config.NLayers} layers of {config.NHeads} heads).");
    }
}
