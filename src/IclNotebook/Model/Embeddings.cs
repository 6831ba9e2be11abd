using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>Token embedding <c>W_E [d_vocab, d_model]</c>.</summary>
public sealed class Embed : ComponentBase
{
    private readonly Tensor _wE;

    public Embed(ModelConfig cfg, Device device) : base(nameof(Embed), device)
    {
        _wE = Weight("W_E", cfg.DVocab, cfg.DModel);
    }

    /// <param name="tokens">[batch, pos] int64</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens) => _wE[tokens];
}

/// <summary>Learned positional embedding <c>W_pos [n_ctx, d_model]</c>.</summary>
public sealed class PosEmbed : ComponentBase
{
    private readonly Tensor _wPos;

    public PosEmbed(ModelConfig cfg, Device device) : base(nameof(PosEmbed), device)
    {
        _wPos = Weight("W_pos", cfg.NCtx, cfg.DModel);
    }

    /// <param name="tokens">[batch, pos]; only its shape is used</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens)
    {
        long batch = tokens.shape[0], pos = tokens.shape[1];
        return _wPos[..(int)pos].unsqueeze(0).expand(batch, pos, -1);
    }
}

/// <summary>Unembedding <c>W_U [d_model, d_vocab]</c>, <c>b_U [d_vocab]</c>.</summary>
public sealed class Unembed : ComponentBase
{
    private readonly Tensor _wU, _bU;

    public Unembed(ModelConfig cfg, Device device) : base(nameof(Unembed), device)
    {
        _wU = Weight("W_U", cfg.DModel, cfg.DVocab);
        _bU = Weight("b_U", cfg.DVocab);
    }

    /// <param name="x">[..., d_model]</param>
    /// <returns>[..., d_vocab]</returns>
    public override Tensor forward(Tensor x) => x.matmul(_wU) + _bU;
}
