namespace IclNotebook.Statistics;

/// <summary>
/// A statistic over prompts with its confidence interval: <see cref="Mean"/> is the statistic on all prompts,
/// [<see cref="Low"/>, <see cref="High"/>] the percentile bootstrap interval at <see cref="Level"/>.
/// </summary>
public sealed record Interval(double Mean, double Low, double High, double Level)
{
    /// <summary>Whether the interval lies entirely on one side of 0 (the effect's sign is resolved at this level).</summary>
    public bool ExcludesZero => Low > 0 || High < 0;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Mean:G4} [{Low:G4}, {High:G4}]");
}
