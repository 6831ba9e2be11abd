namespace IclNotebook.Patching;

/// <summary>
/// One patched component and its effect: where (one label per axis, e.g. "Layer 9, Head 6", and its
/// index along each of <paramref name="Axes"/>), normalised and as the metric's value (in <paramref name="Unit"/>).
/// </summary>
public sealed record PatchEffect(string Target, string Where, IReadOnlyList<PatchAxis> Axes, IReadOnlyList<int> Index,
        double Normalised, double Value, string Unit)
{
    /// <summary>The normalised effect's 95 % interval over prompts (<see cref="PatchResult.Intervals"/>); null when the result keeps no per-prompt values.</summary>
    public Statistics.Interval? Interval { get; init; }

    /// <summary>The index along <paramref name="axis"/>, or null when the result has no such axis.</summary>
    public int? At(PatchAxis axis)
    {
        int d = Axes.ToList().IndexOf(axis);
        return d >= 0 ? Index[d] : null;
    }

    /// <summary>The layer (every patching result has one).</summary>
    public int Layer => At(PatchAxis.Layer) ?? throw new IclException($"{Target}: the effect at {Where} has no Layer axis.");

    /// <summary>The head, for head targets.</summary>
    public int? Head => At(PatchAxis.Head);

    /// <summary>The position (for a pattern target, the destination position), for targets by position.</summary>
    public int? Pos => At(PatchAxis.Pos) ?? At(PatchAxis.DestPos);
}

/// <summary>Ranking a result's components by the size of their effect.</summary>
public static class PatchEffects
{
    /// <summary>
    /// The <paramref name="count"/> components with the largest |normalised effect| (non-finite values skipped), largest first,
    /// each with its interval where the result keeps per-prompt values.
    /// </summary>
    public static IReadOnlyList<PatchEffect> Largest(this PatchResult result, int count = 10)
    {
        ArgumentNullException.ThrowIfNull(result);
        var normalised = result.Normalised;
        var intervals = result.PerPrompt is not null && result.CleanPerPrompt is not null && result.CorruptedPerPrompt is not null
            ? result.Intervals() : null;
        return Enumerable.Range(0, result.Values.Count)
            .Where(i => double.IsFinite(normalised[i]))
            .OrderByDescending(i => Math.Abs(normalised[i]))
            .Take(count)
            .Select(i =>
            {
                var index = Unflatten(result, i);
                var where = string.Join(", ", index.Select((v, d) => $"{result.Axes[d]} {result.Labels[d][v]}"));
                return new PatchEffect(result.Target, where, result.Axes, index, normalised[i], result.Values[i], result.Settings.UnitName)
                {
                    Interval = intervals?[i],
                };
            })
            .ToList();
    }

    /// <summary>Multi-index of flat index <paramref name="flat"/> (row-major, last axis fastest).</summary>
    public static int[] Unflatten(PatchResult result, int flat)
    {
        ArgumentNullException.ThrowIfNull(result);
        var index = new int[result.Shape.Count];
        long rest = flat;
        for (int d = result.Shape.Count - 1; d >= 0; d--) { index[d] = (int)(rest % result.Shape[d]); rest /= result.Shape[d]; }
        return index;
    }
}
