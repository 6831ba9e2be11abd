using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// TransformerLens's weight accessors, under TL's names and in TL's shapes, for circuit work
/// (direct paths, OV and QK circuits). They read the weights as loaded, so with the default
/// processing they are the processed weights (LayerNorm folded in, writing weights centred), as in
/// TL. Embedding and unembedding are views of the model's own tensors (no copy; do not write
/// into them); the per-layer ones are stacked copies along a leading layer axis, made by a
/// <see cref="ModelWeights"/> snapshot (<see cref="Weights"/>) that owns them.
/// </summary>
public sealed partial class HookedTransformer
{
    /// <summary>
    /// Token embedding [d_vocab, d_model], as TL's <c>W_E</c>: a view of the stored one, or where the model scales its embedding
    /// at lookup (<see cref="ModelConfig.EmbeddingScale"/>: Gemma) a scaled float32 copy made on each call.
    /// </summary>
    public Tensor W_E => Config.EmbeddingScale is null ? StoredEmbedding : embed.Scaled(Precision.ToResidual(StoredEmbedding).clone());

    /// <summary>The checkpoint's token embedding as stored (unscaled), which a tied unembedding reads.</summary>
    internal Tensor StoredEmbedding => Parameter(StateDictKey.WE).detach();

    /// <summary>Positional embedding [n_ctx, d_model] (models with learned positions; rotary models have none).</summary>
    public Tensor W_pos => Config.IsRotary
        ? throw new IclException($"{Config.Name} uses rotary embeddings: it has no W_pos (positions rotate queries and keys).")
        : Parameter(StateDictKey.WPos).detach();

    /// <summary>
    /// Unembedding [d_model, d_vocab]: a view of the stored one, or, in a model that shares its embedding
    /// (<see cref="ModelConfig.SharesEmbedding"/>), a copy in the model's dtype made on each call (take the columns you
    /// need with <see cref="UnembeddingColumns"/> instead).
    /// </summary>
    public Tensor W_U => unembed.Whole().detach();

    /// <summary>TL's <c>W_U[:, ids]</c> as float32 [d_model, ids.Length], from the stored or the shared unembedding.</summary>
    public Tensor UnembeddingColumns(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var noGrad = no_grad();
        return unembed.Columns(ids).detach();
    }

    /// <summary>The shared unembedding's folded final norm: its weight and vocabulary mean, [d_model] each (the loader's).</summary>
    internal void FoldSharedUnembedding(Tensor scale, Tensor centre) => unembed.Fold(scale, centre);

    /// <summary>Unembedding bias [d_vocab].</summary>
    public Tensor b_U => Parameter(StateDictKey.BU).detach();

    /// <summary>
    /// The per-layer weights in TransformerLens's stacked shapes (W_Q, W_K, ..., W_out, and the QK and OV
    /// circuits). Stacking copies every layer's weights, so they live in a snapshot the caller owns:
    /// <c>using var w = model.Weights();</c> then <c>w.W_Q</c>; each is made on first use and freed with
    /// the snapshot.
    /// </summary>
    public ModelWeights Weights() => new(this);

    /// <summary>
    /// A key/value weight per query head: the weight <paramref name="key"/> names in each layer (e.g. <c>l =&gt; StateDictKey.WK(l, Config)</c>,
    /// TL's grouped <c>_W_K</c> with grouping), stacked, and repeated over each group (axis 1 after the layer axis).
    /// </summary>
    internal Tensor Ungrouped(Func<int, string> key)
    {
        if (!Config.Grouped) return Stacked(key);
        using var scope = NewDisposeScope();
        return Stacked(key).repeat_interleave(Config.GroupSize, 1).MoveToOuterDisposeScope();
    }

    private TorchSharp.Modules.Parameter Parameter(string name) =>
        named_parameters().FirstOrDefault(p => p.name == name).parameter
            ?? throw new IclException($"{Config.Name} has no weight '{name}'.");

    /// <summary>
    /// One layer's weight without a copy, e.g. <c>BlockWeight(StateDictKey.WO(3))</c> [n_heads, d_head, d_model] (do not write into it).
    /// </summary>
    internal Tensor BlockWeight(string key) => Parameter(key).detach();

    /// <summary>The weight <paramref name="key"/> names in each layer (e.g. <c>StateDictKey.WQ</c>), stacked along a new leading axis.</summary>
    internal Tensor Stacked(Func<int, string> key)
    {
        using var noGrad = no_grad();
        var layers = Enumerable.Range(0, Config.NLayers).Select(l => Parameter(key(l))).ToArray();
        return stack(layers).detach();
    }
}
