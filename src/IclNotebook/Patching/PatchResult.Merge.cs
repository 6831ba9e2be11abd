namespace IclNotebook.Patching;

public sealed partial record PatchResult
{
    /// <summary>Baselines of shards of one run agree to this many nats (the same runs, possibly on other hardware).</summary>
    public const double BaselineTolerance = 1e-6;

    /// <summary>
    /// The whole grid from its shards (<see cref="PatchingEngine.RunShard"/>), after checking that
    /// they are the shards of one grid (same target, shape, settings, baselines, shard count), that
    /// each shard is there once and that together they hold every index exactly once. Each problem
    /// names the culprit by <paramref name="sources"/> (default "shard K/N"). Timings add up: the
    /// result's seconds are the shards' compute time, not the wall time of a parallel run.
    /// </summary>
    public static PatchResult Merge(IReadOnlyList<PatchResultShard> shards, IReadOnlyList<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new IclException("Nothing to merge: no shards given.");
        if (sources is not null && sources.Count != shards.Count) throw new ArgumentException("One source per shard.", nameof(sources));
        string Name(int i) => sources?[i] ?? $"shard {shards[i].ShardIndex}/{shards[i].ShardCount}";
        var first = shards[0];
        for (int i = 1; i < shards.Count; i++)
        {
            var s = shards[i];
            string? differs = s.DifferenceFrom(first, BaselineTolerance)
                ?? (s.ShardCount != first.ShardCount ? $"shard count {s.ShardCount} vs {first.ShardCount}" : null);
            if (differs is not null)
                throw new IclException($"{Name(i)} and {Name(0)} are not shards of one grid: {differs}.");
        }
        var shardGroups = shards.Select((s, i) => (s.ShardIndex, i)).GroupBy(x => x.ShardIndex);
        var byIndex = shardGroups.ToDictionary(g => g.Key, g => g.Select(x => x.i).ToList());
        foreach (var (k, where) in byIndex.OrderBy(kv => kv.Key))
            if (where.Count > 1)
                throw new IclException($"Shard {k}/{first.ShardCount} is given {where.Count} times " +
                    $"({string.Join(", ", where.Select(Name))}); keep one.");
        var missing = Enumerable.Range(0, first.ShardCount).Where(k => !byIndex.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new IclException($"{first.Target}: shard{(missing.Count > 1 ? "s" : "")} " +
                $"{string.Join(", ", missing.Select(k => $"{k}/{first.ShardCount}"))} {(missing.Count > 1 ? "are" : "is")} missing; " +
                $"run {(missing.Count > 1 ? "them" : "it")} (--shard {missing[0]}/{first.ShardCount}) and merge again.");

        long size = first.Size;
        var values = new double[size];
        bool perPrompt = shards.All(s => s.PerPrompt is not null);
        var prompts = perPrompt ? new IReadOnlyList<double>[size] : null;
        var owner = new int[size];
        Array.Fill(owner, -1);
        for (int i = 0; i < shards.Count; i++)
        {
            var s = shards[i];
            if (s.Values.Count != s.Indices.Count) throw new IclException($"{Name(i)}: {s.Indices.Count} indices but {s.Values.Count} values.");
            for (int j = 0; j < s.Indices.Count; j++)
            {
                int flat = s.Indices[j];
                if (flat < 0 || flat >= size) throw new IclException($"{Name(i)}: index {flat} lies outside the {size}-cell grid of {s.Target}.");
                if (owner[flat] >= 0)
                    throw new IclException($"{s.Target}: index {flat} is in both {Name(owner[flat])} and {Name(i)}: " +
                        "the shards cut the grid differently (another build of icl or other prompts); rerun them with one build.");
                owner[flat] = i;
                values[flat] = s.Values[j];
                if (prompts is not null) prompts[flat] = s.PerPrompt![j];
            }
        }
        var uncovered = Enumerable.Range(0, (int)size).Where(f => owner[f] < 0).ToList();
        if (uncovered.Count > 0)
            throw new IclException($"{first.Target}: {uncovered.Count} of {size} indices are in no shard (first: {uncovered[0]}): " +
                "the shards cut the grid differently (another build of icl or other prompts); rerun them with one build.");
        return new PatchResult(first, values)
        {
            PerPrompt = prompts,
            Seconds = shards.Sum(s => s.Seconds),
            ForwardPasses = shards.Sum(s => s.ForwardPasses),
            Gflop = shards.Sum(s => s.Gflop),
        };
    }
}
