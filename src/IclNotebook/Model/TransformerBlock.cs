using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>A pre-LayerNorm GPT-2 block with TL's residual-stream hook points.</summary>
public sealed class TransformerBlock : ComponentBase
{
    private readonly LayerNorm ln1, ln2;
    private readonly Attention attn;
    private readonly Mlp mlp;
    private readonly HookPoint hook_resid_pre, hook_attn_out, hook_resid_mid, hook_mlp_out, hook_resid_post;

    public TransformerBlock(ModelConfig cfg, bool foldedLayerNorm, Device device) : base(nameof(TransformerBlock), device)
    {
        ln1 = Child("ln1", new LayerNorm(cfg, foldedLayerNorm, device));
        ln2 = Child("ln2", new LayerNorm(cfg, foldedLayerNorm, device));
        attn = Child("attn", new Attention(cfg, device));
        mlp = Child("mlp", new Mlp(cfg, device));
        hook_attn_out = Hook("hook_attn_out");
        hook_mlp_out = Hook("hook_mlp_out");
        hook_resid_pre = Hook("hook_resid_pre");
        hook_resid_mid = Hook("hook_resid_mid");
        hook_resid_post = Hook("hook_resid_post");
    }

    /// <param name="x">residual stream [batch, pos, d_model]</param>
    /// <returns>residual stream after the block [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>The block on a segment continuing a cached prefix (see <see cref="Attention.Forward"/>).</summary>
    /// <param name="x">residual stream of the segment [batch, seg, d_model]</param>
    /// <param name="past">this block's prefix keys and values, or null</param>
    /// <param name="blocked">attention mask for a packed segment, or null for causal</param>
    public Tensor Forward(Tensor x, (Tensor K, Tensor V)? past, Tensor? blocked = null)
    {
        var residPre = hook_resid_pre.call(x);
        var attnOut = hook_attn_out.call(attn.Forward(ln1.call(residPre), past, blocked));   // [batch, seg, d_model]
        var residMid = hook_resid_mid.call(residPre.Plus(attnOut));
        var mlpOut = hook_mlp_out.call(mlp.call(ln2.call(residMid)));               // [batch, seg, d_model]
        return hook_resid_post.call(residMid.Plus(mlpOut));
    }
}
