using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>Token embedding <c>W_E [d_vocab, d_model]</c>.</summary>
public sealed class Embed : ComponentBase
{
    private readonly Tensor W_E;

    public Embed(ModelConfig cfg, Device device) : base(nameof(Embed), device, cfg.DType)
    {
        W_E = Weight("W_E", cfg.DVocab, cfg.DModel);
    }

    /// <param name="tokens">[batch, pos] int64</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens) => Precision.ToResidual(W_E[tokens]);
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
}

/// <summary>
/// Unembedding <c>W_U [d_model, d_vocab]</c>, <c>b_U [d_vocab]</c>, float32 in every model (<see cref="Precision"/>): logits
/// of tens of nats in bfloat16 would be rounded to a quarter nat or more.
/// </summary>
public sealed class Unembed : ComponentBase
{
    private readonly Tensor W_U, b_U;

    public Unembed(ModelConfig cfg, Device device) : base(nameof(Unembed), device)
    {
        W_U = Weight("W_U", cfg.DModel, cfg.DVocab);
        b_U = Weight("b_U", cfg.DVocab);
    }

    /// <param name="x">[..., d_model]</param>
    /// <returns>[..., d_vocab]</returns>
    public override Tensor forward(Tensor x) => x.matmul(W_U).Plus(b_U);
}
