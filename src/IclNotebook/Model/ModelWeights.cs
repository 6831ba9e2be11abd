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
    public Tensor W_Q => Get("attn.W_Q");

    /// <summary>Key weights [n_layers, n_heads, d_model, d_head]; with grouped-query attention each head's copy of its group's (TL's W_K).</summary>
    public Tensor W_K => Get("W_K", ungrouped: true);

    /// <summary>
    /// Value weights [n_layers, n_heads, d_model, d_head]; with grouped-query attention each head's copy of its group's (TL's W_V).
    /// </summary>
    public Tensor W_V => Get("W_V", ungrouped: true);

    /// <summary>Output weights [n_layers, n_heads, d_head, d_model].</summary>
    public Tensor W_O => Get("attn.W_O");

    /// <summary>Query biases [n_layers, n_heads, d_head].</summary>
    public Tensor b_Q => Get("attn.b_Q");

    /// <summary>Key biases [n_layers, n_heads, d_head] (ungrouped like <see cref="W_K"/>).</summary>
    public Tensor b_K => Get("b_K", ungrouped: true);

    /// <summary>Value biases [n_layers, n_heads, d_head] (ungrouped like <see cref="W_V"/>).</summary>
    public Tensor b_V => Get("b_V", ungrouped: true);

    /// <summary>Attention output bias [n_layers, d_model].</summary>
    public Tensor b_O => Get("attn.b_O");

    /// <summary>MLP gate weights [n_layers, d_model, d_mlp] (gated MLPs only).</summary>
    public Tensor W_gate => _model.Config.GatedMlp
        ? Get("mlp.W_gate")
        : throw new IclException($"{_model.Config.Name}'s MLP is not gated: it has no W_gate.");

    /// <summary>MLP input weights [n_layers, d_model, d_mlp].</summary>
    public Tensor W_in => Get("mlp.W_in");

    /// <summary>MLP input bias [n_layers, d_mlp].</summary>
    public Tensor b_in => Get("mlp.b_in");

    /// <summary>MLP output weights [n_layers, d_mlp, d_model].</summary>
    public Tensor W_out => Get("mlp.W_out");

    /// <summary>MLP output bias [n_layers, d_model].</summary>
    public Tensor b_out => Get("mlp.b_out");

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

    private Tensor Get(string name, bool ungrouped = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_stacked.TryGetValue(name, out var held)) return held;
        var stacked = (ungrouped ? _model.Ungrouped(name) : _model.Stacked(name)).DetachFromDisposeScope();
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
