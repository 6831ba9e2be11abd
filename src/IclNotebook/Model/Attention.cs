using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// Causal multi-head self-attention in TransformerLens's layout: <c>W_Q [head, d_model, d_head]</c>,
/// <c>W_K, W_V</c> the same (or, with grouped-query attention, TL's <c>_W_K, _W_V [kv_head, d_model,
/// d_head]</c>), <c>W_O [head, d_head, d_model]</c>, biases per head. Hook points and their shapes
/// are TL's: q/z <c>[batch, pos, head, d_head]</c>, k/v <c>[batch, pos, kv_head, d_head]</c>,
/// rotary models' <c>hook_rot_q</c>/<c>hook_rot_k</c> after the rotation, scores/pattern
/// <c>[batch, head, q, k]</c>. Grouped keys and values are shared by their group's query heads
/// after the rotation, as in TL. With per-head query and key norms (<see cref="ModelConfig.QkNorm"/>: Qwen3, Gemma 3) the
/// children <c>q_norm</c>/<c>k_norm</c> normalise each head after hook_q/hook_k and before the rotation, their hooks seeing
/// TL's flattened [batch*pos*head, d_head]. A local layer (<see cref="ModelConfig.WindowOf"/>) hides keys a window or more
/// back; Gemma 2 soft-caps the scaled scores (<see cref="ModelConfig.AttnScoresSoftCap"/>) before the mask and hook_attn_scores.
/// </summary>
public sealed partial class Attention : ComponentBase
{
    private readonly Tensor W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O;
    private readonly HookPoint hook_q, hook_k, hook_v, hook_attn_scores, hook_pattern, hook_z;
    private readonly HookPoint? hook_rot_q, hook_rot_k;
    private readonly Rotary? _rotary;
    private readonly RmsNorm? q_norm, k_norm;
    private readonly double _attnScale;
    private readonly double? _softCap;
    private readonly bool _qkOverHeads;
    private readonly int _group, _dHead;

    /// <param name="cfg">The architecture.</param>
    /// <param name="device">Where the weights live.</param>
    /// <param name="rotary">The model's rotary tables (shared by every layer; owned by the model), or null without rotary embeddings.</param>
    /// <param name="layer">The block's index (it decides a local layer's window).</param>
    internal Attention(ModelConfig cfg, Device device, Rotary? rotary, int layer) : base(nameof(Attention), device, cfg.DType)
    {
        int h = cfg.NHeads, kv = cfg.NKv, d = cfg.DModel, dh = cfg.DHead;
        string g = cfg.KvPrefix;
        W_Q = Weight("W_Q", h, d, dh);
        W_K = Weight(g + "W_K", kv, d, dh);
        W_V = Weight(g + "W_V", kv, d, dh);
        W_O = Weight("W_O", h, dh, d);
        b_Q = Weight("b_Q", h, dh);
        b_K = Weight(g + "b_K", kv, dh);
        b_V = Weight(g + "b_V", kv, dh);
        b_O = Weight("b_O", d);
        hook_k = Hook("hook_k");
        hook_q = Hook("hook_q");
        hook_v = Hook("hook_v");
        hook_z = Hook("hook_z");
        hook_attn_scores = Hook("hook_attn_scores");
        hook_pattern = Hook("hook_pattern");
        if (cfg.QkNorm)
        {
            _qkOverHeads = cfg.QkNormOverHeads;                                                  // OLMo-2: over the whole projection
            q_norm = Child("q_norm", new RmsNorm(cfg, folded: false, device, DType, length: _qkOverHeads ? h * dh : dh)); // never folded, as in TL
            k_norm = Child("k_norm", new RmsNorm(cfg, folded: false, device, DType, length: _qkOverHeads ? kv * dh : dh));
        }
        if (rotary is not null)
        {
            hook_rot_k = Hook("hook_rot_k");
            hook_rot_q = Hook("hook_rot_q");
            _rotary = rotary;
        }
        _attnScale = cfg.AttnScale;
        _softCap = cfg.AttnScoresSoftCap;
        Window = cfg.WindowOf(layer);
        _group = cfg.GroupSize;
        _dHead = dh;
    }

    /// <summary>
    /// TL's <c>ungroup_grouped_query_attention</c>: every query head computes its own copy of its
    /// group's key and value (same numbers), so hook_k/hook_v/hook_rot_k are [batch, pos, head,
    /// d_head] and patching head h's key or value changes head h alone. Set for a scope by
    /// <see cref="HookedTransformer.UngroupGroupedQueryAttention"/>; no effect without grouping.
    /// </summary>
    internal bool Ungrouped { get; set; }

    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <returns>attention output [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        long batch = x.shape[0], pos = x.shape[1];
        using var positions = _rotary is null ? null : HeldScalars.Range(0, pos, x.device).unsqueeze(0).expand(batch, -1); // [batch, pos]
        var (q, k, v) = Project(x, positions, x, positions);              // q [batch, pos, head, d_head], k/v [.., kv_head, ..]
        k = PerQueryHead(k, 2);                                           // [batch, pos, head, d_head]
        v = PerQueryHead(v, 2);
        if (Fusable && Window is null) return OutputFrom(Fused(q, k, v, attend: null)); // the kernel's causal mask, no pattern kept
        using var hidden = ones(pos, pos, dtype: ScalarType.Bool, device: x.device).triu(1); // key after query
        if (Window is { } window) hidden.logical_or_(ones(pos, pos, dtype: ScalarType.Bool, device: x.device).tril(-window)); // or a window back
        if (Fusable) return OutputFrom(Fused(q, k, v, hidden.logical_not()));

        var scores = Scale(q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1))); // [batch, head, pos, pos]
        scores.masked_fill_(hidden, HeldScalars.Of(double.NegativeInfinity));
        var pattern = Pattern(scores, mayHideWholeRow: false);            // [batch, head, pos, pos]
        return OutputFrom(Mix(pattern, v));
    }

    /// <summary>
    /// One generation step: the step's tokens' queries, keys and values through the usual hooks (the step's positions only),
    /// the keys and values stored in <paramref name="cache"/>, and the queries attending to the cached real keys they may see
    /// (causal, and within the window on a local layer).
    /// </summary>
    /// <param name="x">normalised residual stream at the step's tokens [batch, step, d_model]</param>
    /// <param name="cache">the generation's cache, its step begun</param>
    /// <param name="layer">this block's index</param>
    /// <returns>attention output [batch, step, d_model]</returns>
    internal Tensor Step(Tensor x, Generation.KeyValueCache cache, int layer)
    {
        var positions = _rotary is null ? null : cache.StepPositions;
        var (q, newK, newV) = Project(x, positions, x, positions);
        var (k, v) = cache.Append(layer, newK, newV);                     // [batch, cached, kv_head, d_head]
        var attend = cache.Attend(Window);                                // [batch, 1, step, cached]
        (k, v) = (PerQueryHead(k, 2), PerQueryHead(v, 2));
        if (Fusable) return OutputFrom(Fused(q, k, v, attend));
        var scores = Scale(q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)));      // [batch, head, step, cached]
        scores.masked_fill_(attend.logical_not(), HeldScalars.Of(double.NegativeInfinity));
        return OutputFrom(Mix(Pattern(scores, mayHideWholeRow: false), v));
    }

    /// <summary>
    /// Queries, keys and values through their hooks in TransformerLens's order (hook_q, hook_k, hook_v, then the query and
    /// key norms where the model has them, then for rotary models hook_rot_q, hook_rot_k after the rotation). Queries come from <paramref name="xq"/> and keys
    /// and values from <paramref name="x"/>: the same tensor in a forward; the fast engine's last block asks for
    /// queries at a few positions only.
    /// </summary>
    /// <param name="xq">normalised residual stream where queries are wanted [batch, q, d_model]</param>
    /// <param name="qPositions">their positions, int64 [batch, q] (rotary models only)</param>
    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <param name="positions">its positions, int64 [batch, pos] (rotary models only)</param>
    /// <returns>
    /// q [batch, q, head, d_head]; k and v [batch, pos, kv_head, d_head] (head when <see cref="Ungrouped"/>); float32 in every
    /// model (the hooks see the model's dtype): the scores and the mixing are small products, and bfloat16 scores would
    /// move the pattern by percents (<see cref="Precision"/>)
    /// </returns>
    internal (Tensor Q, Tensor K, Tensor V) Project(Tensor xq, Tensor? qPositions, Tensor x, Tensor? positions)
    {
        var q = hook_q.call(einsum("bpd,hde->bphe", xq, W_Q).Plus(b_Q));
        bool ungroup = Ungrouped && _group > 1;
        Tensor Heads(Tensor w) => ungroup ? w.repeat_interleave(_group, 0) : w; // ungrouped: one copy per query head
        var k = hook_k.call(einsum("bpd,hde->bphe", x, Heads(W_K)).Plus(Heads(b_K)));
        var v = hook_v.call(einsum("bpd,hde->bphe", x, Heads(W_V)).Plus(Heads(b_V)));
        if (q_norm is not null && _qkOverHeads)
        {
            if (ungroup)
                throw new IclException("Ungrouping keys and values per query head (head patching's key and value panels) is not defined " +
                    "for a model whose key norm runs over all key heads at once (OLMo-2 with grouped-query attention): a patched copy " +
                    "of one head would change every head's normalisation. Patch the other panels, or resid_pre / the heads' outputs.");
            (q, k) = (OverHeads(q_norm, q), OverHeads(k_norm!, k));
        }
        else if (q_norm is not null) (q, k) = (PerHead(q_norm, q), PerHead(k_norm!, k));
        if (_rotary is not null)
            (q, k) = (hook_rot_q!.call(_rotary.Apply(q, qPositions!)), hook_rot_k!.call(_rotary.Apply(k, positions!)));
        return (Core(q), Core(k), Core(v));
    }

    /// <summary>TL's <c>_apply_qk_norm</c>: <paramref name="norm"/> over each head of [batch, pos, head, d_head], run on [batch*pos*head, d_head].</summary>
    private static Tensor PerHead(RmsNorm norm, Tensor x) => norm.call(x.reshape(-1, x.shape[3])).view(x.shape);

    /// <summary>OLMo-2's norm over each token's whole projection: [batch, pos, head, d_head] run as [batch, pos, head*d_head].</summary>
    private static Tensor OverHeads(RmsNorm norm, Tensor x) => norm.call(x.flatten(2)).view(x.shape);

    /// <summary>Queries, keys or values (or cached ones) in the dtype attention's core runs in: float32.</summary>
    internal static Tensor Core(Tensor x) => Precision.To(x, ScalarType.Float32);

    /// <summary>Whether this model rotates queries and keys (they then need their positions).</summary>
    internal bool IsRotary => _rotary is not null;

    /// <summary>
    /// Whether torch's fused kernel may compute the output: nothing looks at the scores or the pattern
    /// (no hook) and the scale is the kernel's 1/sqrt(d_head). Several times faster than
    /// matmul-softmax-matmul at long prompts, and the [batch, head, q, k] tensors never exist.
    /// </summary>
    internal bool Fusable => !hook_attn_scores.HasHooks && !hook_pattern.HasHooks && _attnScale == Math.Sqrt(_dHead) && _softCap is null;

    /// <summary>How far back this layer's queries see (a key this many positions back or more is hidden); null for every position.</summary>
    internal int? Window { get; }

    /// <summary>softmax(q k^T / sqrt(d_head)) v by torch's fused kernel.</summary>
    /// <param name="q">[batch, q, head, d_head]</param>
    /// <param name="k">[batch, k, head, d_head]</param>
    /// <param name="v">[batch, k, head, d_head]</param>
    /// <param name="attend">which keys each query may see, broadcasting to [batch, head, q, k]; null = causal</param>
    /// <returns>z [batch, q, head, d_head]</returns>
    internal static Tensor Fused(Tensor q, Tensor k, Tensor v, Tensor? attend)
    {
        var qh = q.permute(0, 2, 1, 3);                                   // [batch, head, q, d_head]
        var kh = k.permute(0, 2, 1, 3);
        var vh = v.permute(0, 2, 1, 3);
        var z = attend is null
            ? nn.functional.scaled_dot_product_attention(qh, kh, vh, is_casual: true)
            : nn.functional.scaled_dot_product_attention(qh, kh, vh, attend);
        return z.permute(0, 2, 1, 3);
    }

    /// <summary>
    /// q·k divided by the attention scale in place (the scores are the block's largest tensor) and, where the model soft-caps
    /// them, cap * tanh(scores / cap), as TL computes it (tanh's output is kept for the gradient: not overwritten).
    /// </summary>
    internal Tensor Scale(Tensor dots)
    {
        dots.div_(HeldScalars.Of(_attnScale));
        return _softCap is { } cap ? dots.div_(HeldScalars.Of(cap)).tanh().mul(HeldScalars.Of(cap)) : dots;
    }

    /// <summary>
    /// Masked scores [batch, head, q, k] through hook_attn_scores, softmax, through hook_pattern. TL zeroes the
    /// NaN rows of queries that see no key: a causal mask always leaves the query itself, so that pass is run only
    /// where a mask may hide a whole row (<paramref name="mayHideWholeRow"/>) or a scores hook may have.
    /// </summary>
    internal Tensor Pattern(Tensor scores, bool mayHideWholeRow)
    {
        var pattern = Precision.To(hook_attn_scores.call(scores), ScalarType.Float32).softmax(-1); // softmax in float32
        if (mayHideWholeRow || hook_attn_scores.HasHooks)
            pattern = where(pattern.isnan(), zeros_like(pattern), pattern);
        return hook_pattern.call(pattern);
    }

    /// <summary>The values mixed by the pattern: [batch, head, q, k] x [batch, k, head, d_head] -> z [batch, q, head, d_head].</summary>
    internal static Tensor Mix(Tensor pattern, Tensor v) => Precision.To(pattern, v.dtype).matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3);

    /// <summary>
    /// z [batch, pos, head, d_head] through hook_z, then the heads' outputs mixed back into the residual stream
    /// -> [batch, pos, d_model].
    /// </summary>
    internal Tensor OutputFrom(Tensor z)
    {
        z = Precision.To(hook_z.call(z), W_O.dtype);                      // hook_z in float32, the output product in the model's dtype
        long heads = z.shape[2], dHead = z.shape[3];
        var wO = W_O.reshape(heads * dHead, -1);                          // [head*d_head, d_model]
        var mixed = Precision.ToResidual(z.reshape(z.shape[0], z.shape[1], heads * dHead).matmul(wO)); // summed in float32
        return mixed.Plus(b_O);                                           // [batch, pos, d_model]
    }

    /// <summary>Grouped keys or values repeated for each query head of their group along <paramref name="dim"/> (unless ungrouped already).</summary>
    internal Tensor PerQueryHead(Tensor kv, long dim) => _group > 1 && !Ungrouped ? kv.repeat_interleave(_group, dim) : kv;

    /// <summary>The hooks on keys and values (hook_k, hook_v, k_norm's, hook_rot_k): they see every position of a segment.</summary>
    internal IEnumerable<HookPoint> KeyValueHooks =>
        [hook_k, hook_v, .. k_norm?.modules().OfType<HookPoint>() ?? [], .. hook_rot_k is null ? [] : new[] { hook_rot_k }];
}
