using IclNotebook.Hooks;
using IclNotebook.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// TransformerLens's GatedMLP (SwiGLU in Llama, Mistral, Qwen2): <c>hook_pre = x W_gate</c>,
/// <c>hook_pre_linear = x W_in</c>, <c>hook_post = act(pre) * pre_linear + b_in</c>, output
/// <c>post W_out + b_out</c> (TL adds b_in after the gate; the converted families' biases are zero).
/// </summary>
public sealed class GatedMlp : ComponentBase
{
    private readonly Tensor W_gate, W_in, b_in, W_out, b_out;
    private readonly HookPoint hook_pre, hook_pre_linear, hook_post;
    private readonly Func<Tensor, Tensor> _act;

    public GatedMlp(ModelConfig cfg, Device device) : base(nameof(GatedMlp), device, cfg.DType)
    {
        W_in = Weight("W_in", cfg.DModel, cfg.DMlp);
        W_gate = Weight("W_gate", cfg.DModel, cfg.DMlp);
        b_in = Weight("b_in", cfg.DMlp);
        W_out = Weight("W_out", cfg.DMlp, cfg.DModel);
        b_out = Weight("b_out", cfg.DModel);
        hook_pre = Hook("hook_pre");
        hook_pre_linear = Hook("hook_pre_linear");
        hook_post = Hook("hook_post");
        _act = Mlp.Activation(cfg);
    }

    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var pre = hook_pre.call(x.matmul(W_gate));                 // [batch, pos, d_mlp]
        var preLinear = hook_pre_linear.call(x.matmul(W_in));      // [batch, pos, d_mlp]
        var post = hook_post.call((_act(pre) * preLinear).Plus(b_in)); // [batch, pos, d_mlp]
        return Precision.ToResidual(post.matmul(W_out)).Plus(b_out); // [batch, pos, d_model], summed in float32
    }
}
