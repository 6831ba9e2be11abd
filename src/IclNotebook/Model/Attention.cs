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
    private readonly Tensor W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O;
    private readonly HookPoint hook_q, hook_k, hook_v, hook_attn_scores, hook_pattern, hook_z;
    private readonly double _attnScale;

    public Attention(ModelConfig cfg, Device device) : base(nameof(Attention), device)
    {
        int h = cfg.NHeads, d = cfg.DModel, dh = cfg.DHead;
        W_Q = Weight("W_Q", h, d, dh);
        W_K = Weight("W_K", h, d, dh);
        W_V = Weight("W_V", h, d, dh);
        W_O = Weight("W_O", h, dh, d);
        b_Q = Weight("b_Q", h, dh);
        b_K = Weight("b_K", h, dh);
        b_V = Weight("b_V", h, dh);
        b_O = Weight("b_O", d);
        hook_k = Hook("hook_k");
        hook_q = Hook("hook_q");
        hook_v = Hook("hook_v");
        hook_z = Hook("hook_z");
        hook_attn_scores = Hook("hook_attn_scores");
        hook_pattern = Hook("hook_pattern");
        _attnScale = cfg.AttnScale;
    }

    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <returns>attention output [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var q = hook_q.call(einsum("bpd,hde->bphe", x, W_Q) + b_Q);   // [batch, pos, head, d_head]
        var k = hook_k.call(einsum("bpd,hde->bphe", x, W_K) + b_K);   // [batch, pos, head, d_head]
        var v = hook_v.call(einsum("bpd,hde->bphe", x, W_V) + b_V);   // [batch, pos, head, d_head]

        long pos = x.shape[1];
        var scores = q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)) / _attnScale; // [batch, head, q, k]
        using var future = ones(pos, pos, dtype: ScalarType.Bool, device: x.device).triu(1); // key after query
        scores = hook_attn_scores.call(scores.masked_fill(future, double.NegativeInfinity));
        var pattern = scores.softmax(-1);
        pattern = hook_pattern.call(where(pattern.isnan(), zeros_like(pattern), pattern)); // [batch, head, q, k]

        var z = hook_z.call(pattern.matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)); // [batch, pos, head, d_head]
        long batch = z.shape[0], heads = z.shape[2], dHead = z.shape[3];
        var wO = W_O.reshape(heads * dHead, -1);                      // [head*d_head, d_model]
        return z.reshape(batch, pos, heads * dHead).matmul(wO) + b_O; // [batch, pos, d_model]
    }
}
