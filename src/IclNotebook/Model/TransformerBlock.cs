using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>A pre-LayerNorm GPT-2 block with TL's residual-stream hook points.</summary>
public sealed class TransformerBlock : ComponentBase
{
    private readonly LayerNorm _ln1, _ln2;
    private readonly Attention _attn;
    private readonly Mlp _mlp;
    private readonly HookPoint _hookResidPre, _hookAttnOut, _hookResidMid, _hookMlpOut, _hookResidPost;

    public TransformerBlock(ModelConfig cfg, bool foldedLayerNorm, Device device) : base(nameof(TransformerBlock), device)
    {
        _ln1 = Child("ln1", new LayerNorm(cfg, foldedLayerNorm, device));
        _ln2 = Child("ln2", new LayerNorm(cfg, foldedLayerNorm, device));
        _attn = Child("attn", new Attention(cfg, device));
        _mlp = Child("mlp", new Mlp(cfg, device));
        _hookAttnOut = Hook("hook_attn_out");
        _hookMlpOut = Hook("hook_mlp_out");
        _hookResidPre = Hook("hook_resid_pre");
        _hookResidMid = Hook("hook_resid_mid");
        _hookResidPost = Hook("hook_resid_post");
    }

    /// <param name="x">residual stream [batch, pos, d_model]</param>
    /// <returns>residual stream after the block [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var residPre = _hookResidPre.call(x);
        var attnOut = _hookAttnOut.call(_attn.call(_ln1.call(residPre)));   // [batch, pos, d_model]
        var residMid = _hookResidMid.call(residPre + attnOut);
        var mlpOut = _hookMlpOut.call(_mlp.call(_ln2.call(residMid)));      // [batch, pos, d_model]
        return _hookResidPost.call(residMid + mlpOut);
    }
}
