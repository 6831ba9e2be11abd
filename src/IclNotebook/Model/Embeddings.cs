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
/// Unembedding <c>W_U [d_model, d_vocab]</c> in the model's dtype (the largest matrix of many models: 1 GB of float32 for
/// Llama 3's vocabulary), <c>b_U [d_vocab]</c> float32. The logits are float32 products whatever the dtype
/// (<see cref="Precision"/>): logits of tens of nats in bfloat16 would be rounded to a quarter nat or more, so a
/// half-precision <c>W_U</c> is widened a block of the vocabulary at a time, never as a whole.
/// </summary>
public sealed class Unembed : ComponentBase
{
    // Vocabulary columns widened at a time: 4M elements (16 MB of float32).
    private const long BlockElements = 1 << 22;

    private readonly Tensor W_U, b_U;

    public Unembed(ModelConfig cfg, Device device) : base(nameof(Unembed), device, cfg.DType)
    {
        W_U = Weight("W_U", cfg.DModel, cfg.DVocab);
        b_U = Weight("b_U", ScalarType.Float32, cfg.DVocab);
    }

    /// <param name="x">[..., d_model] float32</param>
    /// <returns>[..., d_vocab] float32</returns>
    public override Tensor forward(Tensor x)
    {
        if (W_U.dtype == x.dtype) return x.matmul(W_U).Plus(b_U);
        long vocab = W_U.shape[1], perBlock = Math.Max(1, BlockElements / W_U.shape[0]);
        var logits = empty([.. x.shape[..^1], vocab], dtype: x.dtype, device: x.device);
        for (long start = 0; start < vocab; start += perBlock)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(perBlock, vocab - start);
            logits.narrow(-1, start, count).copy_(x.matmul(W_U.narrow(1, start, count).to(x.dtype)));
        }
        return logits.add_(b_U);
    }
}
