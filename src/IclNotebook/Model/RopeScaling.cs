namespace IclNotebook.Model;

/// <summary>How a rotary model stretches its frequencies beyond the context it was trained at (Hugging Face's
/// <c>rope_scaling</c> / <c>rope_parameters</c>).</summary>
public enum RopeScalingType
{
    /// <summary>Every frequency divided by the factor (positions interpolated; Gemma 3's global layers).</summary>
    Linear,

    /// <summary>
    /// Llama 3.1-3.3's NTK-by-parts scaling: low frequencies (wavelengths beyond <c>original_max_position_embeddings</c>
    /// / <c>low_freq_factor</c>) divided by the factor, high ones (below it / <c>high_freq_factor</c>) kept, the band
    /// between blended linearly in the ratio of context to wavelength.
    /// </summary>
    Llama3,
}

/// <summary>A rotary scaling as a checkpoint's config gives it; <see cref="InverseFrequencies"/> applies it.</summary>
/// <param name="Type">Which scaling.</param>
/// <param name="Factor">How many times longer the context is (<c>factor</c>).</param>
/// <param name="LowFreqFactor">Llama 3: <c>low_freq_factor</c>.</param>
/// <param name="HighFreqFactor">Llama 3: <c>high_freq_factor</c>.</param>
/// <param name="OriginalContext">Llama 3: <c>original_max_position_embeddings</c>.</param>
public sealed record RopeScaling(RopeScalingType Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4,
    int OriginalContext = 8192)
{
    /// <summary>
    /// The scaled inverse frequencies from the plain ones, each as Hugging Face's <c>_compute_llama3_parameters</c> /
    /// <c>_compute_linear_scaling_rope_parameters</c> computes it (float32 arithmetic, in TL's and HF's order).
    /// </summary>
    public float[] InverseFrequencies(float[] plain)
    {
        ArgumentNullException.ThrowIfNull(plain);
        float factor = (float)Factor;
        if (Type == RopeScalingType.Linear) return plain.Select(f => f / factor).ToArray();
        float low = (float)LowFreqFactor, high = (float)HighFreqFactor, context = OriginalContext;
        float lowFreqWavelen = context / low, highFreqWavelen = context / high;
        return plain.Select(inv =>
        {
            float wavelen = (float)(2 * Math.PI) / inv;
            if (wavelen > lowFreqWavelen) return inv / factor;                     // low frequencies: interpolated
            if (wavelen < highFreqWavelen) return inv;                             // high frequencies: kept
            float smooth = (context / wavelen - low) / (high - low);               // between: blended
            return (1 - smooth) * inv / factor + smooth * inv;
        }).ToArray();
    }
}
