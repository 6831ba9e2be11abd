namespace IclNotebook.Generation;

/// <summary>
/// Chooses each next token from one row of logits by <see cref="SamplingOptions"/>: the first most likely token when greedy
/// (as torch.argmax), else a draw from the tempered, top-k- and top-p-restricted softmax, computed in float64. Its random
/// stream (SplitMix64 from the seed) is the kit's own, so a seed gives the same tokens on every machine and .NET version.
/// One sampler per generated sequence set; not thread-safe.
/// </summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private ulong _state;

    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
        _state = options.Seed;
    }

    /// <summary>The next token for <paramref name="logits"/> (one row over the vocabulary).</summary>
    public int Next(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("No logits to choose from.", nameof(logits));
        if (!_options.Samples) return ArgMax(logits);
        var probabilities = Probabilities(logits, _options);
        double u = Uniform(), sum = 0;
        int last = -1;
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] <= 0) continue;
            last = i;
            sum += probabilities[i];
            if (u < sum) return i;
        }
        return last;                                                      // u at the top end of rounding: the last kept token
    }

    /// <summary>The distribution <see cref="Next"/> draws from: tempered softmax, top-k, then top-p, renormalised.</summary>
    public static double[] Probabilities(ReadOnlySpan<float> logits, SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        double temperature = options.Validate().Samples ? options.Temperature : 1;
        var scaled = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) scaled[i] = logits[i] / temperature;
        if (options.TopK is { } k && k < scaled.Length)
        {
            double kth = scaled.OrderDescending().ElementAt(k - 1);
            for (int i = 0; i < scaled.Length; i++) if (scaled[i] < kth) scaled[i] = double.NegativeInfinity;
        }
        double max = scaled.Max();
        var p = scaled.Select(x => Math.Exp(x - max)).ToArray();
        double total = p.Sum();
        for (int i = 0; i < p.Length; i++) p[i] /= total;
        if (options.TopP is { } top && top < 1)
        {
            // Keep the most likely tokens until their mass reaches top (the token that crosses it included), drop the rest.
            var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
            double mass = 0;
            int keep = 0;
            while (keep < order.Length && mass < top) mass += p[order[keep++]];
            for (int r = keep; r < order.Length; r++) p[order[r]] = 0;
            for (int i = 0; i < p.Length; i++) p[i] /= mass;
        }
        return p;
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>A uniform double in [0, 1) from SplitMix64 (53 random bits).</summary>
    private double Uniform()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
