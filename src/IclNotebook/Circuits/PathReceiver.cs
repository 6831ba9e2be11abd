using IclNotebook.Model;

namespace IclNotebook.Circuits;

/// <summary>Where a path ends: one input of a head, a layer's MLP input, or the logits.</summary>
public enum ReceiverInput
{
    /// <summary>The residual stream a head's queries are computed from.</summary>
    Query,

    /// <summary>The residual stream a head's keys are computed from.</summary>
    Key,

    /// <summary>The residual stream a head's values are computed from.</summary>
    Value,

    /// <summary>The residual stream a layer's MLP reads.</summary>
    Mlp,

    /// <summary>The final residual stream, which the unembedding reads.</summary>
    Logits,
}

/// <summary>
/// The end of a path: a head's query, key or value input (labelled <c>L1H0.q</c>, <c>.k</c>, <c>.v</c>), a layer's MLP input
/// (<c>1_mlp_in</c>) or the logits (<c>logits</c>). In a grouped-query model a key or value receiver is one query head's copy of
/// its group's key or value (TransformerLens's ungrouped semantics, as head patching uses).
/// </summary>
/// <param name="Input">Which input.</param>
/// <param name="Layer">The receiving block (the number of layers for the logits).</param>
/// <param name="Head">The receiving head; null for an MLP or the logits.</param>
public sealed record PathReceiver(ReceiverInput Input, int Layer, int? Head)
{
    public static PathReceiver Query(int layer, int head) => new(ReceiverInput.Query, layer, head);
    public static PathReceiver Key(int layer, int head) => new(ReceiverInput.Key, layer, head);
    public static PathReceiver Value(int layer, int head) => new(ReceiverInput.Value, layer, head);
    public static PathReceiver MlpInput(int layer) => new(ReceiverInput.Mlp, layer, null);

    /// <summary>The logits of a model with <paramref name="layers"/> layers.</summary>
    public static PathReceiver Logits(int layers) => new(ReceiverInput.Logits, layers, null);

    /// <summary>Whether the receiver is a head's input.</summary>
    public bool IsHead => Input is ReceiverInput.Query or ReceiverInput.Key or ReceiverInput.Value;

    /// <summary>The hook a head receiver's input becomes: "q", "k" or "v".</summary>
    public string Activation => Input switch
    {
        ReceiverInput.Query => "q",
        ReceiverInput.Key => "k",
        ReceiverInput.Value => "v",
        _ => throw new InvalidOperationException($"{Label} is not a head's input."),
    };

    /// <summary><c>L1H0.q</c>, <c>L1H0.k</c>, <c>L1H0.v</c>, <c>1_mlp_in</c> or <c>logits</c>.</summary>
    public string Label => Input switch
    {
        ReceiverInput.Mlp => $"{Layer}_mlp_in",
        ReceiverInput.Logits => "logits",
        _ => $"L{Layer}H{Head}.{Activation}",
    };

    public override string ToString() => Label;

    /// <summary>Every receiver of <paramref name="config"/>: each layer's heads' q, k, v inputs and its MLP input, then the logits.</summary>
    public static IReadOnlyList<PathReceiver> All(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(0, config.NLayers)
            .SelectMany(l => Heads(config, l).Append(MlpInput(l)))
            .Append(Logits(config.NLayers))
            .ToArray();
    }

    /// <summary>The q, k and v inputs of every head of layer <paramref name="layer"/>, head by head.</summary>
    public static IEnumerable<PathReceiver> Heads(ModelConfig config, int layer)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(0, config.NHeads).SelectMany(h => new[] { Query(layer, h), Key(layer, h), Value(layer, h) });
    }

    /// <summary>Throws an <see cref="IclException"/> naming this receiver when <paramref name="config"/> has no such input.</summary>
    public void Check(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        bool ok = Input switch
        {
            ReceiverInput.Logits => Layer == config.NLayers && Head is null,
            ReceiverInput.Mlp => Layer >= 0 && Layer < config.NLayers && Head is null,
            _ => Layer >= 0 && Layer < config.NLayers && Head is { } h && h >= 0 && h < config.NHeads,
        };
        if (!ok)
            throw new IclException($"Receiver {Label} (layer {Layer}) is not an input of {config.Name} " +
                $"({config.NLayers} layers of {config.NHeads} heads; the logits are layer {config.NLayers}).");
        if (Ungroups(config) && config.QkNorm && config.QkNormOverHeads)
            throw new IclException($"Receiver {Label}: {config.Name} groups its keys and values and normalises its keys over all key " +
                "heads at once (OLMo-2), so one query head's own copy of a key or value is not defined; choose query, MLP or logits receivers.");
    }

    /// <summary>
    /// The hook holding the residual stream this receiver reads (before its norm): resid_pre for a head's inputs and for an
    /// MLP that runs beside attention, resid_mid for an MLP after attention, the last resid_post for the logits.
    /// </summary>
    public string InputHook(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Input switch
        {
            ReceiverInput.Logits => Hooks.HookName.ResidPost(config.NLayers - 1),
            ReceiverInput.Mlp when !config.ParallelAttnMlp => Hooks.HookName.ResidMid(Layer),
            _ => Hooks.HookName.ResidPre(Layer),
        };
    }

    /// <summary>Whether runs into this receiver ungroup grouped-query attention: a key or value receiver of a grouped model.</summary>
    public bool Ungroups(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Input is ReceiverInput.Key or ReceiverInput.Value && config.Grouped;
    }

    /// <summary>
    /// Whether <paramref name="sender"/>'s output is part of this input's residual stream: a head or MLP of an earlier layer,
    /// a head of the same layer for its MLP input when attention and MLP run one after the other, anything for the logits.
    /// </summary>
    public bool IsReachedBy(PathSender sender, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(config);
        return Input switch
        {
            ReceiverInput.Logits => true,
            ReceiverInput.Mlp => sender.Layer < Layer || sender.Layer == Layer && sender.IsHead && !config.ParallelAttnMlp,
            _ => sender.Layer < Layer,
        };
    }
}
