using IclNotebook.Runtime;
using IclNotebook.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// TransformerLens's LayerNorm: centre, divide by the root-mean-square (<c>hook_scale</c>), then
/// (raw weights only) scale and shift. With folded weights it is TL's LayerNormPre: no w, b.
/// </summary>
public sealed class LayerNorm : ComponentBase
{
    private readonly Tensor? w, b;
    private readonly double _eps;
    private readonly ScalarType _output;
    private readonly HookPoint hook_scale, hook_normalized;

    public LayerNorm(ModelConfig cfg, bool folded, Device device, ScalarType output = ScalarType.Float32) : base(nameof(LayerNorm), device)
    {
        _output = output;
        _eps = cfg.Eps;
        if (!folded)
        {
            w = Weight("w", cfg.DModel);
            b = Weight("b", cfg.DModel);
        }
        hook_scale = Hook("hook_scale");
        hook_normalized = Hook("hook_normalized");
    }

    /// <param name="x">[batch, pos, d_model]</param>
    public override Tensor forward(Tensor x)
    {
        x = Precision.ToResidual(x);
        x = x - x.mean([-1], keepdim: true);                                     // [batch, pos, d_model]
        // x*x, not square(): TorchSharp's square() passes a temporary Scalar a finalizer can free mid-call
        var scale = hook_scale.call(x.mul(x).mean([-1], keepdim: true).Plus(_eps).sqrt()); // [batch, pos, 1]
        x = x / scale;
        return Precision.To(hook_normalized.call(w is null ? x : (x * w).Plus(b!)), _output); // [batch, pos, d_model]
    }
}
