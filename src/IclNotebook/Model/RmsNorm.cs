using IclNotebook.Hooks;
using IclNotebook.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// TransformerLens's RMSNorm: divide by the root-mean-square (<c>hook_scale</c>, the divisor;
/// <c>hook_normalized</c> before the weight), then (raw weights only) scale by w. With folded
/// weights it is TL's RMSNormPre: no w.
/// </summary>
public sealed class RmsNorm : ComponentBase
{
    private readonly Tensor? w;
    private readonly double _eps;
    private readonly ScalarType _output;
    private readonly HookPoint hook_scale, hook_normalized;

    public RmsNorm(ModelConfig cfg, bool folded, Device device, ScalarType output = ScalarType.Float32) : base(nameof(RmsNorm), device)
    {
        _output = output;
        _eps = cfg.Eps;
        if (!folded) w = Weight("w", cfg.DModel);
        hook_scale = Hook("hook_scale");
        hook_normalized = Hook("hook_normalized");
    }

    /// <param name="x">[batch, pos, d_model]</param>
    public override Tensor forward(Tensor x)
    {
        x = Precision.ToResidual(x);
        // x*x, not square(): TorchSharp's square() passes a temporary Scalar a finalizer can free mid-call
        var scale = hook_scale.call(x.mul(x).mean([-1], keepdim: true).Plus(_eps).sqrt()); // [batch, pos, 1]
        var normalized = hook_normalized.call(x / scale);                                   // [batch, pos, d_model]
        return Precision.To(w is null ? normalized : normalized * w, _output);
    }
}
