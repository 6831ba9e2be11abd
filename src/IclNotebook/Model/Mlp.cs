using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>The MLP: <c>W_in [d_model, d_mlp]</c>, the config's activation (gelu_new, gelu or silu), <c>W_out [d_mlp, d_model]</c>.</summary>
public sealed class Mlp : ComponentBase
{
    private static readonly double GeluC = Math.Sqrt(2.0 / Math.PI);
    private readonly Tensor W_in, b_in, W_out, b_out;
    private readonly HookPoint hook_pre, hook_post;
    private readonly Func<Tensor, Tensor> _act;

    public Mlp(ModelConfig cfg, Device device) : base(nameof(Mlp), device, cfg.DType)
    {
        W_in = Weight("W_in", cfg.DModel, cfg.DMlp);
        b_in = Weight("b_in", cfg.DMlp);
        W_out = Weight("W_out", cfg.DMlp, cfg.DModel);
        b_out = Weight("b_out", cfg.DModel);
        hook_pre = Hook("hook_pre");
        hook_post = Hook("hook_post");
        _act = Activation(cfg);
    }

    /// <summary>TL's act_fn by name; an unknown one names the supported ones.</summary>
    internal static Func<Tensor, Tensor> Activation(ModelConfig cfg) => cfg.ActFn switch
    {
        "gelu_new" or "gelu_pytorch_tanh" => GeluNew, // the same tanh approximation (TL's gelu_pytorch_tanh is torch's kernel)
        "gelu" => x => x.gelu(),      // exact (erf), TL's F.gelu
        "silu" => x => x.silu(),
        _ => throw new IclException($"{cfg.Name}: activation '{cfg.ActFn}' is not supported; supported: gelu_new, gelu_pytorch_tanh, gelu, silu."),
    };

    /// <param name="x">normalised residual stream [batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var pre = hook_pre.call(x.matmul(W_in).Plus(b_in));  // [batch, pos, d_mlp]
        var post = hook_post.call(_act(pre));         // [batch, pos, d_mlp]
        return Precision.ToResidual(post.matmul(W_out)).Plus(b_out); // [batch, pos, d_model], summed in float32
    }

    /// <summary>
    /// GPT-2's tanh approximation of GELU (TL's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))),
    /// computed by libtorch's fused kernel for the same formula (one pass over memory instead of
    /// eight; equal to the written-out formula to float32 rounding, see the MLP test).
    /// </summary>
    public static Tensor GeluNew(Tensor x) => x.gelu(TorchSharp.Modules.GELU.Approximate.tanh);

    /// <summary>The formula written out as TL writes it (the reference for <see cref="GeluNew"/>).</summary>
    public static Tensor GeluNewReference(Tensor x) =>
        0.5 * x * (1.0 + tanh(GeluC * (x + 0.044715 * x.pow(3.0))));
}
