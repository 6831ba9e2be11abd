using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>The normalisation a config asks for: LayerNorm or RMSNorm, the Pre variants (no weights) when folded.</summary>
internal static class Norms
{
    public static nn.Module<Tensor, Tensor> Create(ModelConfig cfg, bool folded, Device device) => cfg.Normalization switch
    {
        NormalizationType.RMS => new RmsNorm(cfg, folded, device),
        _ => new LayerNorm(cfg, folded, device),
    };
}
