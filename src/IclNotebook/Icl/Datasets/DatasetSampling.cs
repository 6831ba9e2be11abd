namespace IclNotebook.Icl.Datasets;

/// <summary>
/// How prompts are drawn from a <see cref="PairDataset"/>: <see cref="Prompts"/> prompts, each a query drawn uniformly
/// from the pairs and <see cref="Shots"/> demonstrations drawn uniformly without replacement from the other pairs (never the
/// query's own pair, nor another pair with the same input). The generator is SplitMix64 seeded by <see cref="Seed"/>, so the
/// same seed gives the same prompts on every machine and runtime. Defaults: Function Vectors' 10 shots, and 25 prompts
/// (its indirect-effect count).
/// </summary>
/// <param name="Shots">Demonstrations per prompt.</param>
/// <param name="Prompts">How many prompts.</param>
/// <param name="Seed">The generator's seed.</param>
/// <param name="Recall">
/// Associative recall instead (the toy model's task, and induction-style ICL): the query's own pair is one of its
/// demonstrations, at a uniformly drawn position, the rest drawn as above; so only the context tells the answer. Default false.
/// </param>
public sealed record DatasetSampling(int Shots = 10, int Prompts = 25, long Seed = 0, bool Recall = false)
{
    /// <summary>The queries and each query's demonstrations, prompt by prompt.</summary>
    public (IReadOnlyList<IclExample> Queries, IReadOnlyList<IReadOnlyList<IclExample>> Demos) Sample(PairDataset dataset, string source)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Check(source);
        var pairs = dataset.Pairs;
        var rng = new SplitMix64(unchecked((ulong)Seed));
        var queries = new IclExample[Prompts];
        var demos = new IReadOnlyList<IclExample>[Prompts];
        for (int p = 0; p < Prompts; p++)
        {
            int q = rng.NextInt(pairs.Count);
            queries[p] = pairs[q];
            var others = Enumerable.Range(0, pairs.Count).Where(i => pairs[i].Input != pairs[q].Input).ToArray();
            int drawn = Recall ? Shots - 1 : Shots;
            if (others.Length < drawn)
                throw new IclException($"{source}: {Shots} demonstrations are asked for, but only {others.Length} pairs have an input other than " +
                    $"the query '{pairs[q].Input}'; ask for fewer shots (--shots).");
            // A partial Fisher-Yates: the first `drawn` entries are a uniform draw without replacement, in random order.
            for (int i = 0; i < drawn; i++)
            {
                int j = i + rng.NextInt(others.Length - i);
                (others[i], others[j]) = (others[j], others[i]);
            }
            var chosen = others.Take(drawn).Select(i => pairs[i]).ToList();
            if (Recall) chosen.Insert(rng.NextInt(Shots), pairs[q]);
            demos[p] = chosen.ToArray();
        }
        return (queries, demos);
    }

    /// <summary>Throws naming the setting and the fix when a count is out of range.</summary>
    public void Check(string source)
    {
        if (Shots < 1) throw new IclException($"{source}: shots must be at least 1 (got {Shots}): patching compares demonstrations' labels.");
        if (Prompts < 1) throw new IclException($"{source}: prompts must be at least 1 (got {Prompts}).");
    }
}
