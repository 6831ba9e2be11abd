using IclNotebook.Runtime;
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
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// Attention for a segment of positions that continues a prefix whose keys and values are
    /// given (<paramref name="past"/>: [batch, t0, head, d_head] each; null for no prefix). The
    /// segment's queries sit at positions t0.. and attend causally to prefix and segment keys.
    /// Hooks see the segment: q/k/v/z [batch, seg, head, d_head], scores/pattern
    /// [batch, head, seg, t0 + seg]. With no prefix this is exactly the full forward.
    /// </summary>
    /// <param name="x">normalised residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">the prefix's keys and values, from a cached run</param>
    /// <param name="blocked">which keys each segment query may not see, [seg, t0 + seg] bool; null = causal
    /// (a packed segment holding several prompts' continuations uses its own mask)</param>
    /// <returns>attention output [batch, seg, d_model]</returns>
    public Tensor Forward(Tensor x, (Tensor K, Tensor V)? past, Tensor? blocked = null)
    {
        var q = hook_q.call(einsum("bpd,hde->bphe", x, W_Q).Plus(b_Q));   // [batch, seg, head, d_head]
        var k = hook_k.call(einsum("bpd,hde->bphe", x, W_K).Plus(b_K));   // [batch, seg, head, d_head]
        var v = hook_v.call(einsum("bpd,hde->bphe", x, W_V).Plus(b_V));   // [batch, seg, head, d_head]
        long seg = x.shape[1], t0 = 0;
        if (past is var (pastK, pastV))
        {
            t0 = pastK.shape[1];
            k = cat([pastK, k], 1);                                   // [batch, t0 + seg, head, d_head]
            v = cat([pastV, v], 1);
        }

        var scores = q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)).Over(_attnScale); // [batch, head, seg, t0 + seg]
        using var future = blocked is null ? ones(seg, t0 + seg, dtype: ScalarType.Bool, device: x.device).triu(t0 + 1) : null; // key after query
        scores = hook_attn_scores.call(scores.masked_fill(blocked ?? future!, HeldScalars.Of(double.NegativeInfinity)));
        var pattern = scores.softmax(-1);
        pattern = hook_pattern.call(where(pattern.isnan(), zeros_like(pattern), pattern)); // [batch, head, seg, t0 + seg]

        var z = hook_z.call(pattern.matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)); // [batch, seg, head, d_head]
        long batch = z.shape[0], heads = z.shape[2], dHead = z.shape[3];
        var wO = W_O.reshape(heads * dHead, -1);                      // [head*d_head, d_model]
        return z.reshape(batch, seg, heads * dHead).matmul(wO).Plus(b_O); // [batch, seg, d_model]
    }
}
