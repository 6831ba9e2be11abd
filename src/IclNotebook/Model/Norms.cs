using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// The normalisation a config asks for: LayerNorm or RMSNorm, the Pre variants (no weights) when folded. A norm computes
/// in float32 with float32 weights, whatever the model's dtype, and hands its output on in <c>output</c>: the model's dtype
/// before the blocks' matrix products, float32 before the unembedding (<see cref="Precision"/>).
/// </summary>
internal static class Norms
{
    public static nn.Module<Tensor, Tensor> Create(ModelConfig cfg, bool folded, Device device, ScalarType output) => cfg.Normalization switch
    {
        NormalizationType.RMS => new RmsNorm(cfg, folded, device, output),
        _ => new LayerNorm(cfg, folded, device, output),
    };
}
