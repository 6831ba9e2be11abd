using IclNotebook.Icl;

namespace IclNotebook.Statistics;

/// <summary>
/// Seeded percentile bootstrap over prompts: each resample draws the prompts again with replacement (SplitMix64, so the
/// same seed gives the same intervals on every machine), the statistic is computed on the resample, and the interval is
/// the resamples' (1 - level) / 2 and (1 + level) / 2 quantiles. Every cell of a grid uses the same resamples, so cells
/// are compared on the same draws. Defaults: 1000 resamples, 95 %, seed 0.
/// </summary>
public sealed record Bootstrap(int Resamples = 1000, double Level = 0.95, long Seed = 0)
{
    /// <summary>The interval of the mean of <paramref name="values"/> (one per prompt).</summary>
    public Interval Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Ratio(values, null, null);
    }

    /// <summary>
    /// The interval of the normalised statistic the heatmaps show, <c>(mean(patched) - mean(corrupted)) / (mean(clean) -
    /// mean(corrupted))</c>, its three means taken over the same resampled prompts; with <paramref name="clean"/> and
    /// <paramref name="corrupted"/> null, the mean of <paramref name="patched"/>.
    /// </summary>
    public Interval Ratio(IReadOnlyList<double> patched, IReadOnlyList<double>? clean, IReadOnlyList<double>? corrupted) =>
        Cells([patched], clean, corrupted)[0];

    /// <summary><see cref="Ratio"/> for every cell of a grid (<paramref name="cells"/>[cell][prompt]) on shared resamples.</summary>
    public IReadOnlyList<Interval> Cells(IReadOnlyList<IReadOnlyList<double>> cells, IReadOnlyList<double>? clean, IReadOnlyList<double>? corrupted)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (Resamples < 10) throw new IclException($"A bootstrap needs at least 10 resamples (got {Resamples}).");
        if (Level is <= 0 or >= 1) throw new IclException($"A confidence level is between 0 and 1 exclusive (got {Level}).");
        if ((clean is null) != (corrupted is null)) throw new ArgumentException("Give both baselines or neither.");
        int n = cells.Count > 0 ? cells[0].Count : 0;
        if (n == 0) throw new IclException("A bootstrap needs at least one prompt's value.");
        if (cells.Any(c => c.Count != n) || clean is not null && (clean.Count != n || corrupted!.Count != n))
            throw new ArgumentException($"Every cell and baseline needs one value per prompt ({n}).");

        // Each resample as counts per prompt; the baselines' means depend on the resample only, not on the cell.
        var weights = new double[Resamples][];
        var rng = new SplitMix64(unchecked((ulong)Seed));
        for (int r = 0; r < Resamples; r++)
        {
            var w = weights[r] = new double[n];
            for (int i = 0; i < n; i++) w[rng.NextInt(n)]++;
        }
        double[]? cleanMeans = clean is null ? null : weights.Select(w => Dot(w, clean.ToArray()) / n).ToArray();
        double[]? corruptedMeans = corrupted is null ? null : weights.Select(w => Dot(w, corrupted.ToArray()) / n).ToArray();
        double Statistic(double mean, double cleanMean, double corruptedMean) =>
            clean is null ? mean : (mean - corruptedMean) / (cleanMean - corruptedMean);

        var result = new Interval[cells.Count];
        var draws = new double[Resamples];
        double allClean = clean?.Average() ?? 0, allCorrupted = corrupted?.Average() ?? 0;
        for (int c = 0; c < cells.Count; c++)
        {
            var x = cells[c].ToArray();
            for (int r = 0; r < Resamples; r++)
                draws[r] = Statistic(Dot(weights[r], x) / n, cleanMeans?[r] ?? 0, corruptedMeans?[r] ?? 0);
            Array.Sort(draws);
            result[c] = new Interval(Statistic(x.Average(), allClean, allCorrupted), Quantile(draws, (1 - Level) / 2),
                Quantile(draws, (1 + Level) / 2), Level);
        }
        return result;
    }

    private static double Dot(double[] w, double[] x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += w[i] * x[i];
        return sum;
    }

    /// <summary>The q-quantile of sorted values, linearly interpolated (numpy's default).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }
}
