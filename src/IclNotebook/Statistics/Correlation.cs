namespace IclNotebook.Statistics;

/// <summary>How closely two series of numbers move together.</summary>
public static class Correlation
{
    /// <summary>Pearson's r of paired values; NaN when either series is constant.</summary>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"Pearson's r pairs values: {a.Count} against {b.Count}.", nameof(b));
        double ma = a.Average(), mb = b.Average(), cov = 0, va = 0, vb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            cov += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }
        return va == 0 || vb == 0 ? double.NaN : cov / Math.Sqrt(va * vb);
    }
}
