using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>GPT-2 MLP: <c>W_in [d_model, d_mlp]</c>, gelu_new, <c>W_out [d_mlp, d_model]</c>.</summary>
public sealed class Mlp : ComponentBase
{
    private static readonly double GeluC = Math.Sqrt(2.0 / Math.PI);
    private readonly Tensor _wIn, _bIn, _wOut, _bOut;
    private readonly HookPoint _hookPre, _hookPost;

    public Mlp(ModelConfig cfg, Device device) : base(nameof(Mlp), device)
    {
        _wIn = Weight("W_in", cfg.DModel, cfg.DMlp);
        _bIn = Weight("b_in", cfg.DMlp);
        _wOut = Weight("W_out", cfg.DMlp, cfg.DModel);
        _bOut = Weight("b_out", cfg.DModel);
        _hookPre = Hook("hook_pre");
        _hookPost = Hook("hook_post");
    }

    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var pre = _hookPre.call(x.matmul(_wIn) + _bIn);  // [batch, pos, d_mlp]
        var post = _hookPost.call(GeluNew(pre));         // [batch, pos, d_mlp]
        return post.matmul(_wOut) + _bOut;               // [batch, pos, d_model]
    }

    /// <summary>GPT-2's tanh approximation of GELU, written as TL and HF write it.</summary>
    public static Tensor GeluNew(Tensor x) =>
        0.5 * x * (1.0 + tanh(GeluC * (x + 0.044715 * x.pow(3.0))));
}
