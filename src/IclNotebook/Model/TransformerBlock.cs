using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// A pre-norm transformer block with TL's residual-stream hook points. Sequential (GPT-2, Llama,
/// Qwen2): the MLP reads <c>hook_resid_mid</c> = resid_pre + attn_out. Parallel (GPT-NeoX): attention
/// and MLP both read resid_pre (ln2 normalises resid_pre), there is no <c>hook_resid_mid</c>, and
/// resid_post = resid_pre + attn_out + mlp_out. With <see cref="ModelConfig.PostNorms"/> (Gemma 2 and 3), <c>ln1_post</c>
/// and <c>ln2_post</c> normalise attention's and the MLP's outputs before their hooks, as in TL.
/// </summary>
public sealed class TransformerBlock : ComponentBase
{
    private readonly nn.Module<Tensor, Tensor> ln1, ln2, mlp;
    private readonly RmsNorm? ln1_post, ln2_post;
    private readonly Attention attn;
    private readonly HookPoint hook_resid_pre, hook_attn_out, hook_mlp_out, hook_resid_post;
    private readonly HookPoint? hook_resid_mid;

    internal TransformerBlock(ModelConfig cfg, bool foldedNorms, Device device, Rotary? rotary, int layer)
        : base(nameof(TransformerBlock), device, cfg.DType)
    {
        ln1 = Child("ln1", Norms.Before(cfg, foldedNorms, device, DType));
        if (cfg.PostNorms) ln1_post = Child("ln1_post", PostNorm(cfg, device));
        ln2 = Child("ln2", Norms.Before(cfg, foldedNorms, device, DType));
        if (cfg.PostNorms) ln2_post = Child("ln2_post", PostNorm(cfg, device));
        attn = Child("attn", new Attention(cfg, device, rotary, layer));
        mlp = Child<nn.Module<Tensor, Tensor>>("mlp", cfg.GatedMlp ? new GatedMlp(cfg, device) : new Mlp(cfg, device));
        hook_attn_out = Hook("hook_attn_out");
        hook_mlp_out = Hook("hook_mlp_out");
        hook_resid_pre = Hook("hook_resid_pre");
        if (!cfg.ParallelAttnMlp) hook_resid_mid = Hook("hook_resid_mid");
        hook_resid_post = Hook("hook_resid_post");
    }

    /// <summary>TL's norm after a sublayer: RMSNorm with its weight, never folded, handing on float32 (the residual's dtype).</summary>
    private static RmsNorm PostNorm(ModelConfig cfg, Device device) => cfg.Normalization == NormalizationType.RMS
        ? new RmsNorm(cfg, folded: false, device, ScalarType.Float32)
        : throw new IclException($"{cfg.Name}: norms after attention and the MLP are implemented for RMSNorm models only.");

    /// <param name="x">residual stream [batch, pos, d_model]</param>
    /// <returns>residual stream after the block [batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var residPre = hook_resid_pre.call(x);
        return AfterAttention(residPre, attn.call(ln1.call(residPre)));
    }

    /// <summary>One generation step: the step's tokens [batch, step, d_model] through the block, attending to <paramref name="cache"/>.</summary>
    internal Tensor Step(Tensor x, Generation.KeyValueCache cache, int layer)
    {
        var residPre = hook_resid_pre.call(x);
        return AfterAttention(residPre, attn.Step(ln1.call(residPre), cache, layer));
    }

    /// <summary>
    /// The rest of the block once attention has run: <paramref name="attention"/> through hook_attn_out, the
    /// MLP, and the residual sums. Parallel blocks' MLP reads resid_pre; sequential ones read resid_mid.
    /// </summary>
    /// <param name="residPre">resid_pre at the positions <paramref name="attention"/> holds [batch, pos, d_model]</param>
    /// <param name="attention">the attention output [batch, pos, d_model]</param>
    internal Tensor AfterAttention(Tensor residPre, Tensor attention)
    {
        var attnOut = hook_attn_out.call(ln1_post?.call(attention) ?? attention);     // [batch, pos, d_model]
        if (hook_resid_mid is null)
        {
            var parallelOut = hook_mlp_out.call(MlpOut(ln2.call(residPre)));
            return hook_resid_post.call(residPre.Plus(attnOut).Plus(parallelOut));
        }
        var residMid = hook_resid_mid.call(residPre.Plus(attnOut));
        var mlpOut = hook_mlp_out.call(MlpOut(ln2.call(residMid)));
        return hook_resid_post.call(residMid.Plus(mlpOut));
    }

    /// <summary>The MLP on its normalised input, then ln2_post where the model has it.</summary>
    private Tensor MlpOut(Tensor normalized)
    {
        var output = mlp.call(normalized);
        return ln2_post?.call(output) ?? output;
    }

    /// <summary>
    /// What hook_attn_out holds for heads' outputs <paramref name="z"/> [batch, pos, head, d_head]: W_O, b_O, and ln1_post where
    /// the model has it.
    /// </summary>
    internal Tensor AttentionOutput(Tensor z)
    {
        var attention = attn.OutputFrom(z);
        return ln1_post?.call(attention) ?? attention;
    }

    /// <summary>What hook_mlp_out holds when the MLP reads <paramref name="residual"/> (before ln2) [batch, pos, d_model].</summary>
    internal Tensor MlpOutput(Tensor residual) => MlpOut(ln2.call(residual));

    /// <summary>The residual stream the MLP reads (before ln2): resid_mid, or resid_pre when attention and MLP run in parallel.</summary>
    internal bool MlpReadsResidPre => hook_resid_mid is null;

    /// <summary>The block's attention (its parts are run one by one by the fast engine's segment kernel).</summary>
    internal Attention Attn => attn;

    /// <summary>resid_pre through its hook.</summary>
    internal Tensor ResidPre(Tensor x) => hook_resid_pre.call(x);

    /// <summary>ln1 (the norm before attention).</summary>
    internal Tensor Ln1(Tensor residPre) => ln1.call(residPre);

    /// <summary>The hooks that run before the queries: resid_pre, ln1's, and the keys' and values'.</summary>
    internal IEnumerable<HookPoint> HooksBeforeQueries =>
        [hook_resid_pre, .. ln1.modules().OfType<HookPoint>(), .. attn.KeyValueHooks];
}
