namespace IclNotebook.Patching;

/// <summary>One patched component and its effect: where (one label per axis, e.g. "Layer 9, Head 6"), normalised and as the metric's value (in <paramref name="Unit"/>).</summary>
public sealed record PatchEffect(string Target, string Where, IReadOnlyList<int> Index, double Normalised, double Value, string Unit);

/// <summary>Ranking a result's components by the size of their effect.</summary>
public static class PatchEffects
{
    /// <summary>The <paramref name="count"/> components with the largest |normalised effect| (non-finite values skipped), largest first.</summary>
    public static IReadOnlyList<PatchEffect> Largest(this PatchResult result, int count = 10)
    {
        ArgumentNullException.ThrowIfNull(result);
        var normalised = result.Normalised;
        return Enumerable.Range(0, result.Values.Count)
            .Where(i => double.IsFinite(normalised[i]))
            .OrderByDescending(i => Math.Abs(normalised[i]))
            .Take(count)
            .Select(i =>
            {
                var index = Unflatten(result, i);
                var where = string.Join(", ", index.Select((v, d) => $"{result.Axes[d]} {result.Labels[d][v]}"));
                return new PatchEffect(result.Target, where, index, normalised[i], result.Values[i], result.Settings.Unit);
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
