namespace IclNotebook.Icl;

/// <summary>
/// How a task's demo labels are corrupted. One of <see cref="LabelMapCorruption"/>
/// (<c>label-map</c>), <see cref="ExplicitCorruption"/> (<c>explicit</c>), <see cref="ShuffleCorruption"/> (<c>shuffle</c>)
/// or <see cref="RandomLabelsCorruption"/> (<c>random-labels</c>). Only labels change: inputs, templates and
/// queries stay, so clean and corrupted prompts differ in the label tokens alone.
/// </summary>
public abstract record IclCorruption
{
    // The kinds are a closed set: the JSON format and the sequential replay know each one.
    private protected IclCorruption() { }

    /// <summary>The JSON <c>kind</c> values, in documentation order.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        [LabelMapCorruption.KindName, ExplicitCorruption.KindName, ShuffleCorruption.KindName, RandomLabelsCorruption.KindName];

    /// <summary>The JSON <c>kind</c> of this corruption.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// The corrupted label of every demo (same count and order as <paramref name="demoLabels"/>),
    /// as the <see cref="CorruptionReplay.Simultaneous"/> replay uses them, for a task whose prompts share these demos.
    /// </summary>
    public IReadOnlyList<string> Apply(IReadOnlyList<string> demoLabels) => Apply(demoLabels, CorruptionDraw.Shared(demoLabels));

    /// <summary>The corrupted labels of one prompt's demos, drawn as <paramref name="draw"/> says.</summary>
    public abstract IReadOnlyList<string> Apply(IReadOnlyList<string> demoLabels, CorruptionDraw draw);
}

/// <summary>
/// <c>{"kind": "label-map", "map": {"positive": "negative", ...}}</c>: every demo label found in
/// the map is replaced by its value, all at once (a swap stays a swap); labels absent from the
/// map stay as they are.
/// </summary>
/// <param name="Map">Label -> corrupted label, in file order (the order
/// <see cref="CorruptionReplay.Sequential"/> applies them in). Keys are unique and non-empty.</param>
public sealed record LabelMapCorruption(IReadOnlyList<KeyValuePair<string, string>> Map) : IclCorruption
{
    public const string KindName = "label-map";

    public override string Kind => KindName;

    public override IReadOnlyList<string> Apply(IReadOnlyList<string> demoLabels, CorruptionDraw draw)
    {
        var lookup = Map.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return demoLabels.Select(l => lookup.GetValueOrDefault(l, l)).ToArray();
    }

    /// <summary>
    /// The original notebook's loop on one string: Python's <c>str.replace(old, new)</c> for each
    /// entry in map order, sequentially (see <see cref="CorruptionReplay.Sequential"/>).
    /// </summary>
    public string ApplySequentially(string text) =>
        Map.Aggregate(text, (s, kv) => s.Replace(kv.Key, kv.Value, StringComparison.Ordinal));
}

/// <summary>
/// <c>{"kind": "explicit", "labels": ["negative", ...]}</c>: the corrupted label of each demo,
/// one per demo in demo order.
/// </summary>
/// <param name="Labels">Exactly one non-empty label per demo.</param>
public sealed record ExplicitCorruption(IReadOnlyList<string> Labels) : IclCorruption
{
    public const string KindName = "explicit";

    public override string Kind => KindName;

    public override IReadOnlyList<string> Apply(IReadOnlyList<string> demoLabels, CorruptionDraw draw) =>
        demoLabels.Count == Labels.Count
            ? Labels.ToArray()
            : throw new IclException($"The explicit corruption has {Labels.Count} labels for {demoLabels.Count} demos; " +
                "give exactly one label per demo.");
}

/// <summary>
/// <c>{"kind": "shuffle", "seed": 7}</c>: a seeded derangement of the demo labels: demo i gets
/// the label of demo <c>p(i)</c> with <c>p(i) != i</c> for every i (uniform over derangements).
/// The same seed gives the same result on every run and machine: the generator is SplitMix64,
/// implemented here, not <see cref="Random"/>. Needs at least 2 demos; demos that share a label
/// can receive an equal label from another position. Where each prompt has its own demos (a dataset task), each prompt
/// draws its own derangement, among demos whose labels are as many tokens long, so the corrupted prompt keeps the clean
/// one's length (a label of a length no other demo has stays).
/// </summary>
/// <param name="Seed">Any 64-bit integer (no default; choose one and keep it).</param>
public sealed record ShuffleCorruption(long Seed) : IclCorruption
{
    public const string KindName = "shuffle";

    public override string Kind => KindName;

    public override IReadOnlyList<string> Apply(IReadOnlyList<string> demoLabels, CorruptionDraw draw)
    {
        ArgumentNullException.ThrowIfNull(demoLabels);
        ArgumentNullException.ThrowIfNull(draw);
        if (draw.TokenCount is null) return Derangement(demoLabels.Count, draw.Stream).Select(j => demoLabels[j]).ToArray();
        var rng = draw.Random(Seed);
        var result = demoLabels.ToArray();
        foreach (var group in Enumerable.Range(0, demoLabels.Count).GroupBy(i => draw.TokenCount(demoLabels[i])).Where(g => g.Count() > 1))
        {
            var at = group.ToArray();
            var p = Derange(at.Length, ref rng);
            for (int i = 0; i < at.Length; i++) result[at[i]] = demoLabels[at[p[i]]];
        }
        return result;
    }

    /// <summary>The source position of each demo's label: a permutation with no fixed point.</summary>
    public IReadOnlyList<int> Derangement(int count) => Derangement(count, 0);

    private int[] Derangement(int count, ulong stream)
    {
        if (count < 2)
            throw new IclException($"A shuffle corruption needs at least 2 demos to move every label (got {count}); " +
                "add demos or use a 'label-map' or 'explicit' corruption.");
        var rng = new SplitMix64(unchecked((ulong)Seed + stream));
        return Derange(count, ref rng);
    }

    private static int[] Derange(int count, ref SplitMix64 rng)
    {
        var p = new int[count];
        do
        {
            // Fisher-Yates, rejected until no demo keeps its own label (about e tries on average).
            for (int i = 0; i < count; i++) p[i] = i;
            for (int i = count - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
        } while (p.Where((v, i) => v == i).Any());
        return p;
    }
}
