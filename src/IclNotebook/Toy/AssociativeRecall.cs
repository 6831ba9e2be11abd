using IclNotebook.Icl;

namespace IclNotebook.Toy;

/// <summary>
/// In-context associative recall (issue 11's toy task): demonstrations <c>{input} -> {label}</c> with
/// a fresh random input -> label mapping per sequence, then a query that repeats one demonstration's
/// input; the answer is that demonstration's label. Only the context can tell the mapping, so a model
/// that answers right learned to read it (a previous-token head and an induction head do it in two
/// layers). Every sequence is an ordinary <see cref="IclTask"/>, its corruption a cyclic label map
/// (each label becomes the next one), so patching has the swapped labels to find. Deterministic
/// for a seed (SplitMix64) on every machine.
/// </summary>
public sealed record AssociativeRecall
{
    /// <summary>Words the inputs are drawn from; each is one GPT-2 token after a space. Default: 32 common nouns.</summary>
    public IReadOnlyList<string> Inputs { get; init; } =
    [
        "apple", "river", "chair", "cloud", "horse", "bread", "stone", "light", "glass", "music", "paper", "water", "field", "plant", "train", "house",
        "table", "watch", "phone", "money", "night", "dream", "heart", "storm", "ocean", "queen", "tiger", "metal", "sugar", "coffee", "shirt", "bridge",
    ];

    /// <summary>The label set; each one GPT-2 token after a space. Default four colours (chance: 1/4).</summary>
    public IReadOnlyList<string> Labels { get; init; } = ["red", "blue", "green", "black"];

    /// <summary>Demonstrations per sequence (distinct inputs). Default 6.</summary>
    public int Demos { get; init; } = 6;

    /// <summary>The sequence with seed <paramref name="seed"/>: <see cref="Demos"/> distinct inputs, each with a random label, and one query.</summary>
    public IclTask Sequence(ulong seed)
    {
        if (Demos < 1 || Demos > Inputs.Count)
            throw new IclException($"Associative recall needs 1..{Inputs.Count} demonstrations (one distinct input each); got {Demos}.");
        if (Labels.Count < 2) throw new IclException("Associative recall needs at least two labels (one label leaves nothing to recall).");
        var rng = new SplitMix64(seed);
        var order = Enumerable.Range(0, Inputs.Count).ToArray();
        for (int i = order.Length - 1; i > 0; i--)                                       // Fisher-Yates
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var demos = order.Take(Demos).Select(i => new IclExample(Inputs[i], Labels[rng.NextInt(Labels.Count)])).ToArray();
        var asked = demos[rng.NextInt(Demos)];
        var map = Labels.Select((l, i) => new KeyValuePair<string, string>(l, Labels[(i + 1) % Labels.Count])).ToArray();
        return new IclTask($"associative-recall-{seed}", "{input} -> {label}", "{input} ->", demos, [asked], new LabelMapCorruption(map)).Validate();
    }

    /// <summary><paramref name="count"/> sequences with seeds <paramref name="firstSeed"/>, <paramref name="firstSeed"/> + 1, ...</summary>
    public IReadOnlyList<IclTask> Sequences(int count, ulong firstSeed = 0) =>
        Enumerable.Range(0, count).Select(i => Sequence(firstSeed + (ulong)i)).ToArray();
}
