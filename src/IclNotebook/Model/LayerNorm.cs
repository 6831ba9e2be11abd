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
    private readonly Tensor? _w, _b;
    private readonly double _eps;
    private readonly HookPoint _hookScale, _hookNormalized;

    public LayerNorm(ModelConfig cfg, bool folded, Device device) : base(nameof(LayerNorm), device)
    {
        _eps = cfg.Eps;
        if (!folded)
        {
            _w = Weight("w", cfg.DModel);
            _b = Weight("b", cfg.DModel);
        }
        _hookScale = Hook("hook_scale");
        _hookNormalized = Hook("hook_normalized");
    }

    /// <param name="x">[batch, pos, d_model]</param>
    public override Tensor forward(Tensor x)
    {
        x = x - x.mean([-1], keepdim: true);                                     // [batch, pos, d_model]
        var scale = _hookScale.call((x.pow(2).mean([-1], keepdim: true) + _eps).sqrt()); // [batch, pos, 1]
        x = x / scale;
        return _hookNormalized.call(_w is null ? x : x * _w + _b!);              // [batch, pos, d_model]
    }
}
