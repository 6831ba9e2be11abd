namespace IclNotebook.Icl;

/// <summary>
/// <c>{"kind": "random-labels", "seed": 7}</c>: every demo's label replaced by one drawn uniformly from the task's label
/// set (a dataset's distinct outputs, or the labels a hand-written task uses), never its own, seeded (SplitMix64). Where
/// the prompt must keep its length (a dataset task), only labels as many tokens long as the replaced one are drawn; a
/// label with no such other label stays.
/// </summary>
/// <param name="Seed">Any 64-bit integer.</param>
public sealed record RandomLabelsCorruption(long Seed) : IclCorruption
{
    public const string KindName = "random-labels";

    public override string Kind => KindName;

    public override IReadOnlyList<string> Apply(IReadOnlyList<string> demoLabels, CorruptionDraw draw)
    {
        ArgumentNullException.ThrowIfNull(demoLabels);
        ArgumentNullException.ThrowIfNull(draw);
        var rng = draw.Random(Seed);
        var byLength = draw.TokenCount is { } count ? draw.LabelSet.ToLookup(count) : null;
        return demoLabels.Select(label =>
        {
            var pool = (byLength is null ? draw.LabelSet : byLength[draw.TokenCount!(label)]).Where(l => l != label).ToArray();
            return pool.Length == 0 ? label : pool[rng.NextInt(pool.Length)];
        }).ToArray();
    }
}
