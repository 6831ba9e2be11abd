using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// A pre-norm transformer block with TL's residual-stream hook points. Sequential (GPT-2, Llama,
/// Qwen2): the MLP reads <c>hook_resid_mid</c> = resid_pre + attn_out. Parallel (GPT-NeoX): attention
/// and MLP both read resid_pre (ln2 normalises resid_pre), there is no <c>hook_resid_mid</c>, and
/// resid_post = resid_pre + attn_out + mlp_out.
/// </summary>
public sealed class TransformerBlock : ComponentBase
{
    private readonly nn.Module<Tensor, Tensor> ln1, ln2, mlp;
    private readonly Attention attn;
    private readonly HookPoint hook_resid_pre, hook_attn_out, hook_mlp_out, hook_resid_post;
    private readonly HookPoint? hook_resid_mid;

    internal TransformerBlock(ModelConfig cfg, bool foldedNorms, Device device, Rotary? rotary) : base(nameof(TransformerBlock), device)
    {
        ln1 = Child("ln1", Norms.Create(cfg, foldedNorms, device));
        ln2 = Child("ln2", Norms.Create(cfg, foldedNorms, device));
        attn = Child("attn", new Attention(cfg, device, rotary));
        mlp = Child<nn.Module<Tensor, Tensor>>("mlp", cfg.GatedMlp ? new GatedMlp(cfg, device) : new Mlp(cfg, device));
        hook_attn_out = Hook("hook_attn_out");
        hook_mlp_out = Hook("hook_mlp_out");
        hook_resid_pre = Hook("hook_resid_pre");
        if (!cfg.ParallelAttnMlp) hook_resid_mid = Hook("hook_resid_mid");
        hook_resid_post = Hook("hook_resid_post");
    }

    /// <param name="x">residual stream [batch, pos, d_model]</param>
    /// <returns>residual stream after the block [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>
    /// Whether this block may compute its output at a few positions only (<c>outputsAt</c>) without any
    /// hook noticing: no hook is attached past the keys and values (resid_pre, ln1 and k/v/rot_k may have hooks;
    /// they still see every position).
    /// </summary>
    internal bool ComputesAtFewPositions => !(_laterHooks ??= modules().OfType<HookPoint>().Where(h => !SeesEveryPosition(h.Name)).ToArray()).Any(h => h.HasHooks);

    private HookPoint[]? _laterHooks;

    private static bool SeesEveryPosition(string name) =>
        name.EndsWith(".hook_resid_pre", StringComparison.Ordinal) || name.Contains(".ln1.", StringComparison.Ordinal)
        || name.EndsWith(".attn.hook_k", StringComparison.Ordinal) || name.EndsWith(".attn.hook_v", StringComparison.Ordinal)
        || name.EndsWith(".attn.hook_rot_k", StringComparison.Ordinal);

    /// <summary>The block on a segment continuing a cached prefix (see <see cref="Attention.Forward"/>).</summary>
    /// <param name="x">residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">this block's prefix keys and values, or null</param>
    /// <param name="blocked">attention mask for a packed segment, or null for causal</param>
    /// <param name="positions">the segment tokens' positions for rotary models, or null for t0, t0 + 1, ...</param>
    /// <param name="outputsAt">segment-relative positions whose output is wanted, int64 [batch, n]; null = all. Keys and
    /// values still come from the whole segment; every hook after them (q, scores, pattern, z, attn_out, resid_mid,
    /// ln2, mlp, resid_post) then sees only these positions (see <see cref="ComputesAtFewPositions"/>).</param>
    /// <returns>[batch, seg (or n), d_model]</returns>
    public Tensor Forward(Tensor x, (Tensor K, Tensor V)? past, Tensor? blocked = null, Tensor? positions = null, Tensor? outputsAt = null)
    {
        var residPre = hook_resid_pre.call(x);
        var attnOut = hook_attn_out.call(attn.Forward(ln1.call(residPre), past, blocked, positions, outputsAt)); // [batch, seg or n, d_model]
        if (outputsAt is not null) residPre = Attention.Rows(residPre, outputsAt);
        if (hook_resid_mid is null)
        {
            var parallelOut = hook_mlp_out.call(mlp.call(ln2.call(residPre)));                    // [batch, seg or n, d_model]
            return hook_resid_post.call(residPre.Plus(attnOut).Plus(parallelOut));
        }
        var residMid = hook_resid_mid.call(residPre.Plus(attnOut));
        var mlpOut = hook_mlp_out.call(mlp.call(ln2.call(residMid)));                               // [batch, seg, d_model]
        return hook_resid_post.call(residMid.Plus(mlpOut));
    }
}
