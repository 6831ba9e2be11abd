using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// Rotary position embeddings as TransformerLens computes them (<c>calculate_sin_cos_rotary</c>,
/// <c>apply_rotary</c>): the first <c>rotary_dim</c> dimensions of each query and key head are
/// rotated by angle <c>pos / base^(i / (rotary_dim/2))</c>, GPT-NeoX style (the two halves pair
/// up) unless adjacent pairs are asked for; the other dimensions pass through. A scaled rope (Llama 3's, linear) divides
/// by the scaled frequencies instead (<see cref="RopeScaling"/>). The angles are computed in float32 for the positions a
/// call rotates (TL's table <c>pos / freq</c>, element for element), not kept for the whole context: a table would be
/// 67 MB for Llama 3's 131k positions.
/// </summary>
internal sealed class Rotary : IDisposable
{
    private readonly int _dim;
    private readonly bool _adjacent;
    private readonly Tensor _freq; // [rotary_dim], float32: the wavelength each rotated dimension turns by

    public Rotary(ModelConfig cfg, Device device)
    {
        _dim = cfg.RotaryDim;
        _adjacent = cfg.RotaryAdjacentPairs;
        using var scope = NewDisposeScope();
        var dim = arange(_dim / 2, dtype: float32, device: device);                                   // [rotary_dim / 2]
        var freq = cfg.RopeScaling is { } scaling ? ScaledWavelengths(cfg.RotaryBase, _dim, scaling).to(device)
            : pow(tensor((float)cfg.RotaryBase, device: device), dim / (_dim / 2.0f));               // [rotary_dim / 2]
        _freq = (_adjacent ? freq.repeat_interleave(2L) : cat([freq, freq])).DetachFromDisposeScope(); // [rotary_dim]
    }

    /// <summary>
    /// 1 / the scaled inverse frequencies [rotary_dim / 2], float32 on the CPU: the inverse frequencies as Hugging Face and TL
    /// compute them for a scaled rope (<c>1 / base^(2i / rotary_dim)</c>), through <paramref name="scaling"/>.
    /// </summary>
    private static Tensor ScaledWavelengths(double rotaryBase, int dim, RopeScaling scaling)
    {
        using var scope = NewDisposeScope();
        using var plain = (1.0f / pow(tensor((float)rotaryBase), arange(0, dim, 2, dtype: int64).to(float32) / (float)dim)).cpu();
        var scaled = tensor(scaling.InverseFrequencies(plain.data<float>().ToArray()));
        return (1.0f / scaled).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rotates <paramref name="x"/> [batch, seg, head, d_head] whose tokens sit at <paramref name="positions"/>
    /// (int64 [batch, seg]).
    /// </summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        var rot = x[.., .., .., ..(int)_dim];                                          // [batch, seg, head, rotary_dim]
        var pass = x[.., .., .., (int)_dim..];
        var angles = positions.to(float32).unsqueeze(-1) / _freq;                     // [batch, seg, rotary_dim], float32
        var sin = angles.sin().unsqueeze(2);                                           // [batch, seg, 1, rotary_dim]
        var cos = angles.cos().unsqueeze(2);
        (sin, cos) = (Precision.To(sin, x.dtype), Precision.To(cos, x.dtype));         // computed in float32, applied in x's dtype (as HF)
        var rotated = (rot * cos).Plus(RotateEveryTwo(rot) * sin); // a held alpha: see HeldScalars
        return cat([rotated, pass], -1);                                               // [batch, seg, head, d_head]
    }

    /// <summary>TL's rotate_every_two: halves (-x2, x1), or adjacent pairs (-x_{2i+1}, x_{2i}).</summary>
    private Tensor RotateEveryTwo(Tensor x)
    {
        if (!_adjacent)
        {
            int n = _dim / 2;
            return cat([-x[.., .., .., n..], x[.., .., .., ..n]], -1);
        }
        var pairs = x.unflatten(x.dim() - 1, [_dim / 2, 2]);                         // [..., rotary_dim/2, 2] (TorchSharp takes no -1 here)
        return stack([-pairs[.., .., .., .., 1], pairs[.., .., .., .., 0]], -1).flatten(-2);
    }

    public void Dispose() => _freq.Dispose();
}
