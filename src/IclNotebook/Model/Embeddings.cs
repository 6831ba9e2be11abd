using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// Token embedding <c>W_E [d_vocab, d_model]</c>, its rows multiplied at lookup by <see cref="ModelConfig.EmbeddingScale"/>
/// where the model scales them (Gemma): the same float32 products as TL's pre-scaled <c>W_E</c>.
/// </summary>
public sealed class Embed : ComponentBase
{
    private readonly Tensor W_E;
    private readonly float? _scale;

    public Embed(ModelConfig cfg, Device device) : base(nameof(Embed), device, cfg.DType)
    {
        W_E = Weight("W_E", cfg.DVocab, cfg.DModel);
        _scale = cfg.EmbeddingScale is { } scale ? (float)scale : null;                 // TL: torch.tensor(d_model ** 0.5, dtype=float32)
    }

    /// <param name="tokens">[batch, pos] int64</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens) => Scaled(Precision.ToResidual(W_E[tokens]));

    /// <summary>float32 rows times the embedding scale (in place on a fresh tensor), or as they are.</summary>
    internal Tensor Scaled(Tensor rows) => _scale is { } scale ? rows.mul_(HeldScalars.Of(scale)) : rows;

    /// <summary>The model's own <c>W_E</c>, for an unembedding that shares it.</summary>
    internal Tensor TokenEmbedding => W_E;
}

/// <summary>Learned positional embedding <c>W_pos [n_ctx, d_model]</c>.</summary>
public sealed class PosEmbed : ComponentBase
{
    private readonly Tensor W_pos;

    public PosEmbed(ModelConfig cfg, Device device) : base(nameof(PosEmbed), device, cfg.DType)
    {
        W_pos = Weight("W_pos", cfg.NCtx, cfg.DModel);
    }

    /// <param name="tokens">[batch, pos]; only its shape is used</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens)
    {
        long batch = tokens.shape[0], pos = tokens.shape[1];
        return Precision.ToResidual(W_pos[..(int)pos]).unsqueeze(0).expand(batch, pos, -1);
    }

    /// <param name="positions">each token's position, int64 [batch, pos] (generation's left-padded rows start at 0 where their text starts)</param>
    /// <returns>[batch, pos, d_model]</returns>
    internal Tensor At(Tensor positions) =>
        Precision.ToResidual(W_pos.index_select(0, positions.flatten())).view(positions.shape[0], positions.shape[1], -1);
}

/// <summary>
/// Unembedding <c>W_U [d_model, d_vocab]</c> in the model's dtype (the largest matrix of many models: 1 GB of float32 for
/// Llama 3's vocabulary), <c>b_U [d_vocab]</c> float32. The logits are float32 products whatever the dtype
/// (<see cref="Precision"/>): logits of tens of nats in bfloat16 would be rounded to a quarter nat or more, so a
/// half-precision <c>W_U</c> is widened a block of the vocabulary at a time, never as a whole.
/// Where the model shares the embedding (<see cref="ModelConfig.SharesEmbedding"/>) there is no <c>W_U</c> of its own:
/// each block of TL's <c>W_U</c> is made from <c>W_E</c>'s rows as TL makes it, transposed, times the folded final norm's
/// weight, minus the columns' mean over the vocabulary (<see cref="Fold"/>), the same float32 values as a stored one.
/// A model that soft-caps its logits (<see cref="ModelConfig.OutputLogitsSoftCap"/>: Gemma 2) gets cap * tanh(logits / cap)
/// here, as TL applies it after its unembedding; the columns (<see cref="Columns(Tensor)"/>) are the linear map before it.
/// </summary>
public sealed class Unembed : ComponentBase
{
    // Vocabulary columns widened at a time: 4M elements (16 MB of float32).
    private const long BlockElements = 1 << 22;

    private readonly Tensor? W_U, W_E;
    private readonly Tensor b_U;
    // Shared and folded: the final norm's weight and the vocabulary mean, [d_model, 1] float32 each.
    private readonly Tensor? _scale, _centre;
    private readonly double? _softCap;

    /// <param name="cfg">The architecture.</param>
    /// <param name="device">Where the weights live.</param>
    /// <param name="embedding">The token embedding <c>W_E</c> when the model shares it (<see cref="ModelConfig.SharesEmbedding"/>).</param>
    /// <param name="folded">Whether the final norm is folded into the unembedding (TL's default processing).</param>
    public Unembed(ModelConfig cfg, Device device, Tensor? embedding = null, bool folded = false)
        : base(nameof(Unembed), device, cfg.DType)
    {
        if (embedding is null) W_U = Weight("W_U", cfg.DModel, cfg.DVocab);
        else
        {
            W_E = embedding;
            if (folded)
            {
                _scale = Buffer("scale", ones(cfg.DModel, 1, device: device));
                _centre = Buffer("centre", zeros(cfg.DModel, 1, device: device));
            }
        }
        b_U = Weight("b_U", ScalarType.Float32, cfg.DVocab);
        _softCap = cfg.OutputLogitsSoftCap;
    }

    private long DVocab => W_U?.shape[1] ?? W_E!.shape[0];

    /// <summary>
    /// A shared, folded unembedding's final-norm weight and vocabulary mean (<paramref name="scale"/>, <paramref name="centre"/>:
    /// [d_model] each), set by the loader.
    /// </summary>
    internal void Fold(Tensor scale, Tensor centre)
    {
        if (_scale is null || _centre is null) throw new InvalidOperationException("Only a shared, folded unembedding is folded.");
        using var noGrad = no_grad();
        _scale.copy_(scale.view(-1, 1));
        _centre.copy_(centre.view(-1, 1));
    }

    /// <summary>TL's <c>W_U[:, start:start+count]</c>, float32 [d_model, count] (a view of the stored <c>W_U</c> in float32 models).</summary>
    internal Tensor Columns(long start, long count) =>
        W_U is not null ? Precision.ToResidual(W_U.narrow(1, start, count)) : FromEmbedding(W_E!.narrow(0, start, count));

    /// <summary>TL's <c>W_U[:, ids]</c>, float32 [d_model, ids].</summary>
    internal Tensor Columns(Tensor ids) =>
        W_U is not null ? Precision.ToResidual(W_U.index_select(1, ids)) : FromEmbedding(W_E!.index_select(0, ids));

    /// <summary>TL's <c>W_U</c> columns for some of <c>W_E</c>'s rows [n, d_model]: transposed, scaled and centred where folded.</summary>
    private Tensor FromEmbedding(Tensor rows)
    {
        var columns = Precision.ToResidual(rows.t());                                  // [d_model, n] float32
        return _scale is null ? columns : (columns * _scale).sub_(_centre!);
    }

    /// <summary>TL's whole <c>W_U</c> in the model's dtype: the stored one, or (sharing the embedding) a copy made for the caller.</summary>
    internal Tensor Whole() => W_U ?? Columns(0, DVocab).to(DType);

    /// <param name="x">[..., d_model] float32</param>
    /// <returns>[..., d_vocab] float32</returns>
    public override Tensor forward(Tensor x) => SoftCapped(Linear(x));

    /// <summary>
    /// cap * tanh(logits / cap) where the model soft-caps its logits (TL's arithmetic, step for step; tanh's output kept for
    /// the gradient).
    /// </summary>
    private Tensor SoftCapped(Tensor logits) =>
        _softCap is { } cap ? logits.div_(HeldScalars.Of(cap)).tanh().mul(HeldScalars.Of(cap)) : logits;

    /// <summary>x W_U + b_U, [..., d_vocab] float32.</summary>
    private Tensor Linear(Tensor x)
    {
        if (W_U is not null && W_U.dtype == x.dtype) return x.matmul(W_U).Plus(b_U);
        long vocab = DVocab, perBlock = Math.Max(1, BlockElements / x.shape[^1]);
        var logits = empty([.. x.shape[..^1], vocab], dtype: x.dtype, device: x.device);
        for (long start = 0; start < vocab; start += perBlock)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(perBlock, vocab - start);
            logits.narrow(-1, start, count).copy_(x.matmul(Columns(start, count)));
        }
        return logits.add_(b_U, HeldScalars.One);
    }

    private Tensor Buffer(string name, Tensor value)
    {
        value.DetachFromDisposeScope();
        register_buffer(name, value, persistent: false);
        return value;
    }
}
