using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// Causal multi-head self-attention in TransformerLens's layout: <c>W_Q, W_K, W_V [head, d_model,
/// d_head]</c>, <c>W_O [head, d_head, d_model]</c>, biases per head. Hook points and their shapes
/// are TL's: q/k/v/z <c>[batch, pos, head, d_head]</c>, scores/pattern <c>[batch, head, q, k]</c>.
/// </summary>
public sealed class Attention : ComponentBase
{
    private readonly Tensor _wQ, _wK, _wV, _wO, _bQ, _bK, _bV, _bO;
    private readonly HookPoint _hookQ, _hookK, _hookV, _hookScores, _hookPattern, _hookZ;
    private readonly double _attnScale;

    public Attention(ModelConfig cfg, Device device) : base(nameof(Attention), device)
    {
        int h = cfg.NHeads, d = cfg.DModel, dh = cfg.DHead;
        _wQ = Weight("W_Q", h, d, dh);
        _wK = Weight("W_K", h, d, dh);
        _wV = Weight("W_V", h, d, dh);
        _wO = Weight("W_O", h, dh, d);
        _bQ = Weight("b_Q", h, dh);
        _bK = Weight("b_K", h, dh);
        _bV = Weight("b_V", h, dh);
        _bO = Weight("b_O", d);
        _hookK = Hook("hook_k");
        _hookQ = Hook("hook_q");
        _hookV = Hook("hook_v");
        _hookZ = Hook("hook_z");
        _hookScores = Hook("hook_attn_scores");
        _hookPattern = Hook("hook_pattern");
        _attnScale = cfg.AttnScale;
    }

    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <returns>attention output [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var q = _hookQ.call(einsum("bpd,hde->bphe", x, _wQ) + _bQ);   // [batch, pos, head, d_head]
        var k = _hookK.call(einsum("bpd,hde->bphe", x, _wK) + _bK);   // [batch, pos, head, d_head]
        var v = _hookV.call(einsum("bpd,hde->bphe", x, _wV) + _bV);   // [batch, pos, head, d_head]

        long pos = x.shape[1];
        var scores = q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)) / _attnScale; // [batch, head, q, k]
        using var future = ones(pos, pos, dtype: ScalarType.Bool, device: x.device).triu(1); // key after query
        scores = _hookScores.call(scores.masked_fill(future, double.NegativeInfinity));
        var pattern = scores.softmax(-1);
        pattern = _hookPattern.call(where(pattern.isnan(), zeros_like(pattern), pattern)); // [batch, head, q, k]

        var z = _hookZ.call(pattern.matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)); // [batch, pos, head, d_head]
        long batch = z.shape[0], heads = z.shape[2], dHead = z.shape[3];
        var wO = _wO.reshape(heads * dHead, -1);                      // [head*d_head, d_model]
        return z.reshape(batch, pos, heads * dHead).matmul(wO) + _bO; // [batch, pos, d_model]
    }
}
