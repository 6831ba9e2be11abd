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

    /// <summary>A block's norm before attention or the MLP: <see cref="Create"/>, or where the model has none (OLMo-2) the stream as it is.</summary>
    public static nn.Module<Tensor, Tensor> Before(ModelConfig cfg, bool folded, Device device, ScalarType output) =>
        cfg.PreNorms ? Create(cfg, folded, device, output) : new NoNorm(output);

    /// <summary>No normalisation: the residual stream handed on in the dtype the next products take. No weights, no hooks.</summary>
    private sealed class NoNorm(ScalarType output) : nn.Module<Tensor, Tensor>(nameof(NoNorm))
    {
        public override Tensor forward(Tensor x) => Precision.To(x, output);
    }
}
