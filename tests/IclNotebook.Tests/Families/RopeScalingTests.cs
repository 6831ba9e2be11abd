using IclNotebook.Hooks;
using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Families;

/// <summary>
/// Scaled rotary embeddings (Llama 3.1-3.3's <c>llama3</c>, <c>linear</c>) against float64 computations written here from
/// Hugging Face's definitions (<c>_compute_llama3_parameters</c>, <c>_compute_linear_scaling_rope_parameters</c>), and read
/// from either config form.
/// </summary>
public sealed class RopeScalingTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-rope");

    public void Dispose() => _dir.Dispose();

    /// <summary>HF's llama3 inverse frequencies, in float64.</summary>
    private static double[] Llama3(double theta, int dim, double factor, double low, double high, double context) =>
        Enumerable.Range(0, dim / 2).Select(i =>
        {
            double inv = 1 / Math.Pow(theta, 2.0 * i / dim), wavelen = 2 * Math.PI / inv;
            if (wavelen < context / high) return inv;
            if (wavelen > context / low) return inv / factor;
            double s = (context / wavelen - low) / (high - low);
            return (1 - s) * inv / factor + s * inv;
        }).ToArray();

    [Fact]
    public void Llama_3_2_1Bs_frequencies_are_huggingfaces_in_all_three_bands()
    {
        // Llama-3.2-1B: rope_theta 500000, head_dim 64, factor 32, low/high 1/4, original context 8192.
        var scaling = new RopeScaling(RopeScalingType.Llama3, 32, 1, 4, 8192);
        var plain = Enumerable.Range(0, 32).Select(i => (float)(1 / Math.Pow(500000, 2.0 * i / 64))).ToArray();
        var expected = Llama3(500000, 64, 32, 1, 4, 8192);
        var actual = scaling.InverseFrequencies(plain);
        for (int i = 0; i < 32; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-6 * expected[i], $"frequency {i}: {actual[i]} vs {expected[i]}");
        // The three bands are all there: kept, blended, divided by the factor.
        Assert.Equal(plain[0], actual[0]);
        Assert.Equal(plain[31] / 32, actual[31]);
        Assert.Contains(Enumerable.Range(0, 32), i => actual[i] != plain[i] && actual[i] != plain[i] / 32);
        var linear = new RopeScaling(RopeScalingType.Linear, 8).InverseFrequencies(plain);
        Assert.Equal(plain.Select(f => f / 8), linear);
    }

    private string ScaledLlama(string name, string ropeFields)
    {
        var folder = _dir[name];
        Directory.CreateDirectory(folder);
        var config = File.ReadAllText(Path.Combine(FamilyFixture.Folder("tiny-llama-a"), "config.json"))
            .Replace("\"rope_theta\": 10000.0,", "", StringComparison.Ordinal)
            .Replace("\"rope_scaling\": null", ropeFields, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        File.Copy(Path.Combine(FamilyFixture.Folder("tiny-llama-a"), "model.safetensors"), Path.Combine(folder, "model.safetensors"));
        return folder;
    }

    /// <summary>
    /// tiny-llama-a (d_head 16) with llama3 scaling over an original context of 64 (so each band holds some of its eight
    /// frequencies): hook_rot_q is hook_q rotated by those angles, and the transformers-5 form (<c>rope_parameters</c>)
    /// gives the same model.
    /// </summary>
    [Fact]
    public void A_llama3_scaled_model_rotates_by_the_scaled_angles_from_either_config_form()
    {
        const string llama3 = "\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, " +
                              "\"original_max_position_embeddings\": 64";
        using var scaled = ModelLoader.LoadFolder(ScaledLlama("scaled", $"\"rope_theta\": 20000.0, \"rope_scaling\": {{{llama3}}}"));
        using var parameters = ModelLoader.LoadFolder(ScaledLlama("parameters", $"\"rope_parameters\": {{\"rope_theta\": 20000.0, {llama3}}}"));
        Assert.Equal(scaled.Config.RopeScaling, parameters.Config.RopeScaling);
        Assert.Equal(20000, parameters.Config.RotaryBase);
        using var tokens = tensor(Enumerable.Range(0, 40).Select(i => (long)(i * 37 % 1000)).ToArray()).unsqueeze(0);
        var (logits, cache) = scaled.RunWithCache(tokens);
        using (logits)
        using (cache)
        using (var first = scaled.Run(tokens))
        using (var same = parameters.Run(tokens))
        {
            TensorAssert.Close(first, same, 0, "rope_scaling + rope_theta vs rope_parameters");
            using var q = cache[HookName.Q(1)].to(ScalarType.Float64);                       // [1, pos, head, 16]
            var inv = Llama3(20000, 16, 8, 1, 4, 64);
            using var angles = arange(40, dtype: ScalarType.Float64).unsqueeze(1) * tensor(inv.Concat(inv).ToArray()).unsqueeze(0);
            using var cos = angles.cos().view(1, 40, 1, 16);
            using var sin = angles.sin().view(1, 40, 1, 16);
            using var half = cat([-q[.., .., .., 8..], q[.., .., .., ..8]], -1);
            using var expected = q * cos + half * sin;
            TensorAssert.Close(expected, cache[HookName.RotQ(1)], 2e-5, "hook_rot_q vs hook_q rotated by HF's llama3 angles");
        }
    }
}
