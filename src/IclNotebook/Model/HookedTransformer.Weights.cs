using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// TransformerLens's weight accessors, under TL's names and in TL's shapes, for circuit work
/// (direct paths, OV and QK circuits). They read the weights as loaded, so with the default
/// processing they are the processed weights (LayerNorm folded in, writing weights centred), as in
/// TL. Embedding and unembedding are views of the model's own tensors (no copy; do not write
/// into them); the per-layer ones are stacked copies along a leading layer axis. Every accessor
/// returns a tensor without grad that the caller owns.
/// </summary>
public sealed partial class HookedTransformer
{
    /// <summary>Token embedding [d_vocab, d_model].</summary>
    public Tensor W_E => Parameter("embed.W_E").detach();

    /// <summary>Positional embedding [n_ctx, d_model] (models with learned positions; rotary models have none).</summary>
    public Tensor W_pos => Config.IsRotary
        ? throw new IclException($"{Config.Name} uses rotary embeddings: it has no W_pos (positions rotate queries and keys).")
        : Parameter("pos_embed.W_pos").detach();

    /// <summary>Unembedding [d_model, d_vocab].</summary>
    public Tensor W_U => Parameter("unembed.W_U").detach();

    /// <summary>Unembedding bias [d_vocab].</summary>
    public Tensor b_U => Parameter("unembed.b_U").detach();

    /// <summary>Query weights [n_layers, n_heads, d_model, d_head].</summary>
    public Tensor W_Q => Stacked("attn.W_Q");

    /// <summary>Key weights [n_layers, n_heads, d_model, d_head]; with grouped-query attention each head's copy of its group's (TL's W_K).</summary>
    public Tensor W_K => Ungrouped("W_K");

    /// <summary>Value weights [n_layers, n_heads, d_model, d_head]; with grouped-query attention each head's copy of its group's (TL's W_V).</summary>
    public Tensor W_V => Ungrouped("W_V");

    /// <summary>Output weights [n_layers, n_heads, d_head, d_model].</summary>
    public Tensor W_O => Stacked("attn.W_O");

    /// <summary>Query biases [n_layers, n_heads, d_head].</summary>
    public Tensor b_Q => Stacked("attn.b_Q");

    /// <summary>Key biases [n_layers, n_heads, d_head] (ungrouped like <see cref="W_K"/>).</summary>
    public Tensor b_K => Ungrouped("b_K");

    /// <summary>Value biases [n_layers, n_heads, d_head] (ungrouped like <see cref="W_V"/>).</summary>
    public Tensor b_V => Ungrouped("b_V");

    /// <summary>MLP gate weights [n_layers, d_model, d_mlp] (gated MLPs only).</summary>
    public Tensor W_gate => Config.GatedMlp
        ? Stacked("mlp.W_gate")
        : throw new IclException($"{Config.Name}'s MLP is not gated: it has no W_gate.");

    /// <summary>Attention output bias [n_layers, d_model].</summary>
    public Tensor b_O => Stacked("attn.b_O");

    /// <summary>MLP input weights [n_layers, d_model, d_mlp].</summary>
    public Tensor W_in => Stacked("mlp.W_in");

    /// <summary>MLP input bias [n_layers, d_mlp].</summary>
    public Tensor b_in => Stacked("mlp.b_in");

    /// <summary>MLP output weights [n_layers, d_mlp, d_model].</summary>
    public Tensor W_out => Stacked("mlp.W_out");

    /// <summary>MLP output bias [n_layers, d_model].</summary>
    public Tensor b_out => Stacked("mlp.b_out");

    /// <summary>The QK circuit per head, <c>W_Q @ W_K^T</c> [n_layers, n_heads, d_model, d_model], factored (TL's <c>model.QK</c>).</summary>
    public FactoredMatrix QK => new(W_Q, W_K.transpose(-2, -1).contiguous());

    /// <summary>The OV circuit per head, <c>W_V @ W_O</c> [n_layers, n_heads, d_model, d_model], factored (TL's <c>model.OV</c>).</summary>
    public FactoredMatrix OV => new(W_V, W_O);

    /// <summary>A key/value weight per query head: TL's grouped <c>_W_K</c> repeated over each group (axis 1 after the layer axis).</summary>
    private Tensor Ungrouped(string name)
    {
        if (!Config.Grouped) return Stacked("attn." + name);
        using var scope = NewDisposeScope();
        return Stacked("attn._" + name).repeat_interleave(Config.GroupSize, 1).MoveToOuterDisposeScope();
    }

    private TorchSharp.Modules.Parameter Parameter(string name) =>
        named_parameters().FirstOrDefault(p => p.name == name).parameter
            ?? throw new IclException($"{Config.Name} has no weight '{name}'.");

    /// <summary>One layer's weight without a copy, e.g. <c>BlockWeight(3, "attn.W_O")</c> [n_heads, d_head, d_model] (do not write into it).</summary>
    internal Tensor BlockWeight(int layer, string name) => Parameter($"blocks.{layer}.{name}").detach();

    /// <summary>blocks.{l}.<paramref name="name"/> of every layer, stacked along a new leading layer axis.</summary>
    private Tensor Stacked(string name)
    {
        using var noGrad = no_grad();
        var layers = Enumerable.Range(0, Config.NLayers).Select(l => Parameter($"blocks.{l}.{name}")).ToArray();
        return stack(layers).detach();
    }
}
