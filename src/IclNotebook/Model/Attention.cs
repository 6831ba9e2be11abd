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
/// after the rotation, as in TL.
/// </summary>
public sealed class Attention : ComponentBase
{
    private readonly Tensor W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O;
    private readonly HookPoint hook_q, hook_k, hook_v, hook_attn_scores, hook_pattern, hook_z;
    private readonly HookPoint? hook_rot_q, hook_rot_k;
    private readonly Rotary? _rotary;
    private readonly double _attnScale;
    private readonly int _group;

    /// <param name="cfg">The architecture.</param>
    /// <param name="device">Where the weights live.</param>
    /// <param name="rotary">The model's rotary tables (shared by every layer; owned by the model), or null without rotary embeddings.</param>
    internal Attention(ModelConfig cfg, Device device, Rotary? rotary) : base(nameof(Attention), device)
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
        if (rotary is not null)
        {
            hook_rot_k = Hook("hook_rot_k");
            hook_rot_q = Hook("hook_rot_q");
            _rotary = rotary;
        }
        _attnScale = cfg.AttnScale;
        _group = cfg.GroupSize;
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
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// Attention for a segment of positions that continues a prefix whose keys and values are
    /// given (<paramref name="past"/>: [batch, t0, kv_head, d_head] each, keys as attention uses
    /// them, i.e. rotated for rotary models; null for no prefix; batch 1 = one prefix shared by
    /// every row, attended to without copying it per row). The segment's queries attend
    /// causally to prefix and segment keys. Hooks see the segment: q/k/v/z [batch, seg, head,
    /// d_head], scores/pattern [batch, head, seg, t0 + seg]. With no prefix this is exactly the
    /// full forward.
    /// </summary>
    /// <param name="x">normalised residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">the prefix's keys and values, from a cached run</param>
    /// <param name="blocked">which keys each segment query may not see, [seg, t0 + seg] bool; null = causal
    /// (a packed segment holding several prompts' continuations uses its own mask)</param>
    /// <param name="positions">each segment token's position, int64 [batch, seg], for the rotation
    /// (a packed row holds tokens of several positions); null = t0, t0 + 1, ...</param>
    /// <param name="queriesAt">segment-relative positions whose outputs are wanted, int64 [batch, n] (the last
    /// block of a patched run needs only the read positions: keys and values are computed for the whole segment,
    /// queries and everything after them for these alone); null = every position. With it, the q, rot_q, scores,
    /// pattern and z hooks see only those queries: callers use it where those hooks have no hooks.</param>
    /// <returns>attention output [batch, seg (or n), d_model]</returns>
    public Tensor Forward(Tensor x, (Tensor K, Tensor V)? past, Tensor? blocked = null, Tensor? positions = null, Tensor? queriesAt = null)
    {
        var xq = queriesAt is null ? x : Rows(x, queriesAt);                 // [batch, seg or n, d_model]
        var q = hook_q.call(einsum("bpd,hde->bphe", xq, W_Q).Plus(b_Q));  // [batch, seg or n, head, d_head]
        bool ungroup = Ungrouped && _group > 1;
        Tensor Heads(Tensor w) => ungroup ? w.repeat_interleave(_group, 0) : w; // ungrouped: one copy per query head
        var k = hook_k.call(einsum("bpd,hde->bphe", x, Heads(W_K)).Plus(Heads(b_K))); // [batch, seg, kv_head (head if ungrouped), d_head]
        var v = hook_v.call(einsum("bpd,hde->bphe", x, Heads(W_V)).Plus(Heads(b_V)));
        long batch = x.shape[0], seg = x.shape[1], t0 = past is var (pk, _) ? pk.shape[1] : 0;
        if (_rotary is not null)
        {
            positions ??= arange(t0, t0 + seg, dtype: int64, device: x.device).unsqueeze(0).expand(batch, -1); // [batch, seg]
            q = hook_rot_q!.call(_rotary.Apply(q, queriesAt is null ? positions : positions.gather(1, queriesAt)));
            k = hook_rot_k!.call(_rotary.Apply(k, positions));
        }
        bool shared = past is var (sharedK, _) && sharedK.shape[0] == 1 && batch > 1;
        if (past is var (pastK, pastV) && !shared)
        {
            k = cat([pastK, k], 1);                                       // [batch, t0 + seg, kv_head, d_head]
            v = cat([pastV, v], 1);
        }
        if (_group > 1 && !ungroup)
        {
            k = k.repeat_interleave(_group, 2);                           // [batch, (t0 +) seg, head, d_head]
            v = v.repeat_interleave(_group, 2);
        }

        // Nothing looks at the scores or the pattern (no hook, no whole row blocked that TL would zero): the fused
        // kernel never materialises them, several times faster than the matmul-softmax-matmul at long prompts.
        if (!hook_attn_scores.HasHooks && !hook_pattern.HasHooks && _attnScale == Math.Sqrt(q.shape[3])
            && !(blocked is not null && BlocksWholeRow(blocked)))
        {
            var fz = hook_z.call(FusedAttention(q, k, v, shared ? past!.Value : null, blocked, queriesAt, t0, seg)); // [batch, seg or n, head, d_head]
            return OutputOf(fz);
        }

        // The scores are the block's largest tensor, [batch, head, seg, t0 + seg], and grow with the square of the
        // prompt: scaled and masked in place (same numbers, two passes and two allocations fewer).
        var scores = shared ? SharedPrefixScores(q, k, past!.Value.K) : q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)); // [batch, head, seg, t0 + seg]
        scores.div_(HeldScalars.Of(_attnScale));
        using var future = blocked is null ? ones(seg, t0 + seg, dtype: ScalarType.Bool, device: x.device).triu(t0 + 1) : null; // key after query
        var mask = blocked ?? future!;                                    // [seg, t0 + seg]
        if (queriesAt is not null) mask = mask.index_select(0, queriesAt.flatten()).view(batch, 1, queriesAt.shape[1], t0 + seg); // each row's queries
        scores.masked_fill_(mask, HeldScalars.Of(double.NegativeInfinity));
        scores = hook_attn_scores.call(scores);
        var pattern = scores.softmax(-1);
        // TL zeroes the NaN rows of queries that see no key. A causal mask always leaves a query itself, so that
        // pass over the pattern is needed only where a given mask blocks a whole row or a hook may have.
        if (hook_attn_scores.HasHooks || (blocked is not null && BlocksWholeRow(blocked)))
            pattern = where(pattern.isnan(), zeros_like(pattern), pattern);
        pattern = hook_pattern.call(pattern);                             // [batch, head, seg, t0 + seg]

        var z = hook_z.call(shared                                        // [batch, seg, head, d_head]
            ? SharedPrefixValues(pattern, v, past!.Value.V)
            : pattern.matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3));
        return OutputOf(z);
    }

    /// <summary>The heads' outputs mixed back into the residual stream: z [batch, pos, head, d_head] -> [batch, pos, d_model].</summary>
    private Tensor OutputOf(Tensor z)
    {
        long heads = z.shape[2], dHead = z.shape[3];
        var wO = W_O.reshape(heads * dHead, -1);                          // [head*d_head, d_model]
        return z.reshape(z.shape[0], z.shape[1], heads * dHead).matmul(wO).Plus(b_O); // [batch, pos, d_model]
    }

    /// <summary>
    /// softmax(q k^T / attn_scale, masked) v by torch's fused scaled_dot_product_attention: the same
    /// definition as the explicit path, without the [batch, head, q, k] scores and pattern in memory.
    /// Its scale is 1/sqrt(d_head): used only where the model's attn_scale is sqrt(d_head).
    /// </summary>
    /// <param name="q">queries [batch, seg or n, head, d_head]</param>
    /// <param name="k">keys per query head [batch, t0 + seg (or seg when <paramref name="sharedPast"/>), head, d_head]</param>
    /// <param name="v">values, as <paramref name="k"/></param>
    /// <param name="sharedPast">one prefix shared by every row ([1, t0, kv_head, d_head] each), or null</param>
    /// <param name="blocked">[seg, t0 + seg] keys each query may not see, or null for causal</param>
    /// <param name="queriesAt">[batch, n] segment positions of the queries, or null for all</param>
    /// <param name="t0">prefix length</param>
    /// <param name="seg">segment length</param>
    /// <returns>z [batch, seg or n, head, d_head]</returns>
    private Tensor FusedAttention(Tensor q, Tensor k, Tensor v, (Tensor K, Tensor V)? sharedPast, Tensor? blocked, Tensor? queriesAt, long t0, long seg)
    {
        long batch = q.shape[0];
        if (sharedPast is var (pk, pv))
        {
            k = cat([PerQueryHead(pk, 2).expand(batch, -1, -1, -1), k], 1); // [batch, t0 + seg, head, d_head]
            v = cat([PerQueryHead(pv, 2).expand(batch, -1, -1, -1), v], 1);
        }
        var qh = q.permute(0, 2, 1, 3);                                   // [batch, head, seg or n, d_head]
        var kh = k.permute(0, 2, 1, 3);
        var vh = v.permute(0, 2, 1, 3);
        Tensor z;
        if (blocked is null && queriesAt is null && t0 == 0)
            z = nn.functional.scaled_dot_product_attention(qh, kh, vh, is_casual: true);
        else
        {
            using var future = blocked is null ? ones(seg, t0 + seg, dtype: ScalarType.Bool, device: q.device).triu(t0 + 1) : null;
            var hidden = blocked ?? future!;                              // [seg, t0 + seg]
            using var rows = queriesAt is null ? null : hidden.index_select(0, queriesAt.flatten()).view(batch, 1, queriesAt.shape[1], t0 + seg);
            using var attend = (rows ?? hidden).logical_not();            // true = may attend
            z = nn.functional.scaled_dot_product_attention(qh, kh, vh, attend);
        }
        return z.permute(0, 2, 1, 3);                                     // [batch, seg or n, head, d_head]
    }

    /// <summary>Rows <paramref name="at"/> [batch, n] of <paramref name="x"/> [batch, seg, d] -> [batch, n, d].</summary>
    internal static Tensor Rows(Tensor x, Tensor at) => x.gather(1, at.unsqueeze(-1).expand(-1, -1, x.shape[2]));

    /// <summary>
    /// Scores when every row continues one shared prefix (<paramref name="pastK"/> has batch 1): the
    /// prefix part is one GEMM per head over all rows' queries, [batch*seg, d_head] x [d_head, t0],
    /// instead of a copy of the prefix's keys per row.
    /// </summary>
    /// <param name="q">[batch, seg, head, d_head]</param>
    /// <param name="k">the segment's keys per query head [batch, seg, head, d_head]</param>
    /// <param name="pastK">the prefix's keys [1, t0, kv_head, d_head]</param>
    /// <returns>[batch, head, seg, t0 + seg]</returns>
    private Tensor SharedPrefixScores(Tensor q, Tensor k, Tensor pastK)
    {
        long batch = q.shape[0], seg = q.shape[1], heads = q.shape[2], dHead = q.shape[3], t0 = pastK.shape[1];
        var pk = PerQueryHead(pastK[0], 1);                               // [t0, head, d_head]
        var qh = q.permute(2, 0, 1, 3).reshape(heads, batch * seg, dHead); // [head, batch*seg, d_head]
        var prefix = qh.matmul(pk.permute(1, 2, 0))                       // [head, batch*seg, t0]
            .reshape(heads, batch, seg, t0).permute(1, 0, 2, 3);          // [batch, head, seg, t0]
        var own = q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1));    // [batch, head, seg, seg]
        return cat([prefix, own], -1);
    }

    /// <summary>z for a shared prefix: the prefix's values mixed by one GEMM per head, plus the segment's own.</summary>
    /// <param name="pattern">[batch, head, seg, t0 + seg]</param>
    /// <param name="v">the segment's values per query head [batch, seg, head, d_head]</param>
    /// <param name="pastV">the prefix's values [1, t0, kv_head, d_head]</param>
    /// <returns>[batch, seg, head, d_head]</returns>
    private Tensor SharedPrefixValues(Tensor pattern, Tensor v, Tensor pastV)
    {
        long batch = pattern.shape[0], heads = pattern.shape[1], seg = pattern.shape[2], t0 = pastV.shape[1];
        var pv = PerQueryHead(pastV[0], 1);                               // [t0, head, d_head]
        var prefix = pattern[.., .., .., ..(int)t0].permute(1, 0, 2, 3).reshape(heads, batch * seg, t0)
            .matmul(pv.permute(1, 0, 2))                                  // [head, batch*seg, d_head]
            .reshape(heads, batch, seg, -1).permute(1, 2, 0, 3);          // [batch, seg, head, d_head]
        var own = pattern[.., .., .., (int)t0..].matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3); // [batch, seg, head, d_head]
        return prefix.Plus(own);
    }

    /// <summary>Whether some query of <paramref name="blocked"/> [seg, keys] may see no key at all.</summary>
    private static bool BlocksWholeRow(Tensor blocked)
    {
        using var rows = blocked.all(-1);
        using var any = rows.any();
        return any.item<bool>();
    }

    /// <summary>Grouped keys or values repeated for each query head of their group along <paramref name="dim"/> (unless ungrouped already).</summary>
    private Tensor PerQueryHead(Tensor kv, long dim) => _group > 1 && !Ungrouped ? kv.repeat_interleave(_group, dim) : kv;

}
