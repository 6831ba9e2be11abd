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

    /// <summary>The block on a segment continuing a cached prefix (see <see cref="Attention.Forward"/>).</summary>
    /// <param name="x">residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">this block's prefix keys and values, or null</param>
    /// <param name="blocked">attention mask for a packed segment, or null for causal</param>
    /// <param name="positions">the segment tokens' positions for rotary models, or null for t0, t0 + 1, ...</param>
    public Tensor Forward(Tensor x, (Tensor K, Tensor V)? past, Tensor? blocked = null, Tensor? positions = null)
    {
        var residPre = hook_resid_pre.call(x);
        var attnOut = hook_attn_out.call(attn.Forward(ln1.call(residPre), past, blocked, positions)); // [batch, seg, d_model]
        if (hook_resid_mid is null)
        {
            var parallelOut = hook_mlp_out.call(mlp.call(ln2.call(residPre)));                    // [batch, seg, d_model]
            return hook_resid_post.call(residPre.Plus(attnOut).Plus(parallelOut));
        }
        var residMid = hook_resid_mid.call(residPre.Plus(attnOut));
        var mlpOut = hook_mlp_out.call(mlp.call(ln2.call(residMid)));                               // [batch, seg, d_model]
        return hook_resid_post.call(residMid.Plus(mlpOut));
    }
}
