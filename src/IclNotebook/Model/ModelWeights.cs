using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// A model's per-layer weights under TransformerLens's names and in its stacked shapes, for circuit
/// work (direct paths, OV and QK circuits): made by <see cref="HookedTransformer.Weights"/>. Each
/// weight is stacked (a copy along a leading layer axis, without grad) the first time it is read and
/// kept until the snapshot is disposed. With the default processing they are the processed weights
/// (LayerNorm folded in, writing weights centred), as in TL.
/// </summary>
public sealed class ModelWeights : IDisposable
{
    private readonly HookedTransformer _model;
    private readonly Dictionary<string, Tensor> _stacked = new(StringComparer.Ordinal);
    private bool _disposed;

    internal ModelWeights(HookedTransformer model) => _model = model;

    /// <summary>Query weights [n_layers, n_heads, d_model, d_head].</summary>
    public Tensor W_Q => Get(StateDictKey.WQ);

    /// <summary>Key weights [n_layers, n_heads, d_model, d_head]; with grouped-query attention each head's copy of its group's (TL's W_K).</summary>
    public Tensor W_K => Get(l => StateDictKey.WK(l, _model.Config), ungrouped: true);

    /// <summary>
    /// Value weights [n_layers, n_heads, d_model, d_head]; with grouped-query attention each head's copy of its group's (TL's W_V).
    /// </summary>
    public Tensor W_V => Get(l => StateDictKey.WV(l, _model.Config), ungrouped: true);

    /// <summary>Output weights [n_layers, n_heads, d_head, d_model].</summary>
    public Tensor W_O => Get(StateDictKey.WO);

    /// <summary>Query biases [n_layers, n_heads, d_head].</summary>
    public Tensor b_Q => Get(StateDictKey.BQ);

    /// <summary>Key biases [n_layers, n_heads, d_head] (ungrouped like <see cref="W_K"/>).</summary>
    public Tensor b_K => Get(l => StateDictKey.BK(l, _model.Config), ungrouped: true);

    /// <summary>Value biases [n_layers, n_heads, d_head] (ungrouped like <see cref="W_V"/>).</summary>
    public Tensor b_V => Get(l => StateDictKey.BV(l, _model.Config), ungrouped: true);

    /// <summary>Attention output bias [n_layers, d_model].</summary>
    public Tensor b_O => Get(StateDictKey.BO);

    /// <summary>MLP gate weights [n_layers, d_model, d_mlp] (gated MLPs only).</summary>
    public Tensor W_gate => _model.Config.GatedMlp
        ? Get(StateDictKey.WGate)
        : throw new IclException($"{_model.Config.Name}'s MLP is not gated: it has no W_gate.");

    /// <summary>MLP input weights [n_layers, d_model, d_mlp].</summary>
    public Tensor W_in => Get(StateDictKey.WIn);

    /// <summary>MLP input bias [n_layers, d_mlp].</summary>
    public Tensor b_in => Get(StateDictKey.BIn);

    /// <summary>MLP output weights [n_layers, d_mlp, d_model].</summary>
    public Tensor W_out => Get(StateDictKey.WOut);

    /// <summary>MLP output bias [n_layers, d_model].</summary>
    public Tensor b_out => Get(StateDictKey.BOut);

    /// <summary>
    /// The QK circuit per head, <c>W_Q @ W_K^T</c> [n_layers, n_heads, d_model, d_model], factored (TL's <c>model.QK</c>);
    /// a new object the caller owns.
    /// </summary>
    public FactoredMatrix QK() => new(W_Q.clone(), W_K.transpose(-2, -1).contiguous());

    /// <summary>
    /// The OV circuit per head, <c>W_V @ W_O</c> [n_layers, n_heads, d_model, d_model], factored (TL's <c>model.OV</c>);
    /// a new object the caller owns.
    /// </summary>
    public FactoredMatrix OV() => new(W_V.clone(), W_O.clone());

    /// <summary>The weight <paramref name="key"/> names in each layer, stacked once and held under its layer-0 key.</summary>
    private Tensor Get(Func<int, string> key, bool ungrouped = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string name = key(0);
        if (_stacked.TryGetValue(name, out var held)) return held;
        var stacked = (ungrouped ? _model.Ungrouped(key) : _model.Stacked(key)).DetachFromDisposeScope();
        _stacked[name] = stacked;
        return stacked;
    }

    /// <summary>Frees every stacked weight read so far.</summary>
    public void Dispose()
    {
        foreach (var t in _stacked.Values) t.Dispose();
        _stacked.Clear();
        _disposed = true;
    }
}
