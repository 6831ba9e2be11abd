using IclNotebook.Hooks;
using IclNotebook.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// TransformerLens's RMSNorm: divide by the root-mean-square over the last axis (<c>hook_scale</c>, the divisor;
/// <c>hook_normalized</c> before the weight), then (raw weights only) scale by w. With folded
/// weights it is TL's RMSNormPre: no w. Over d_model for the residual stream; over d_head for the per-head query and key
/// norms (<see cref="ModelConfig.QkNorm"/>), which TL applies to [batch*pos*head, d_head] and never folds.
/// </summary>
public sealed class RmsNorm : ComponentBase
{
    private readonly Tensor? w;
    private readonly double _eps;
    private readonly ScalarType _output;
    private readonly HookPoint hook_scale, hook_normalized;

    /// <param name="cfg">The architecture (its epsilon).</param>
    /// <param name="folded">Whether the weight is folded into the next matrices (RMSNormPre).</param>
    /// <param name="device">Where the weight lives.</param>
    /// <param name="output">The dtype the output is handed on in.</param>
    /// <param name="length">The normalised axis's size: d_model unless given (d_head for the query and key norms).</param>
    public RmsNorm(ModelConfig cfg, bool folded, Device device, ScalarType output = ScalarType.Float32, int? length = null)
        : base(nameof(RmsNorm), device)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        _output = output;
        _eps = cfg.Eps;
        if (!folded) w = Weight("w", length ?? cfg.DModel);
        hook_scale = Hook("hook_scale");
        hook_normalized = Hook("hook_normalized");
    }

    /// <param name="x">[batch, pos, d_model] (or [rows, d_head])</param>
    public override Tensor forward(Tensor x)
    {
        x = Precision.ToResidual(x);
        // x*x, not square(): TorchSharp's square() passes a temporary Scalar a finalizer can free mid-call
        var scale = hook_scale.call(x.mul(x).mean([-1], keepdim: true).Plus(_eps).sqrt()); // [..., 1]
        var normalized = hook_normalized.call(x / scale);                                   // [..., length]
        return Precision.To(w is null ? normalized : normalized * w, _output);
    }
}
