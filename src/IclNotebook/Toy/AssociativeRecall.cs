using System.Globalization;
using IclNotebook.Icl;

namespace IclNotebook.Toy;

/// <summary>
/// In-context associative recall (issue 11's toy task): demonstrations <c>{input} {label}</c>, one per
/// line (<c>apple red</c>), with
/// a fresh random input -> label mapping per sequence, then a query that repeats one demonstration's
/// input; the answer is that demonstration's label. Only the context can tell the mapping, so a model
/// that answers right learned to read it: in two layers, a previous-token head copies each input
/// into its label's position and an induction head at the query attends to the label whose copied
/// input matches the query, then copies it (Olsson et al. 2022). The label follows its input
/// directly, so the first head is a plain previous-token head. Every sequence is an ordinary <see cref="IclTask"/>, its corruption a cyclic label map
/// (each label becomes the next one), so patching has the swapped labels to find. Deterministic
/// for a seed (SplitMix64) on every machine.
/// </summary>
public sealed record AssociativeRecall
{
    /// <summary>
    /// Words the inputs are drawn from; each is one GPT-2 token at a line start (where prompts put it)
    /// and after a space. Default: 32 common nouns.
    /// </summary>
    public IReadOnlyList<string> Inputs { get; init; } =
    [
        "apple", "river", "chair", "cloud", "horse", "bread", "stone", "light", "glass", "music", "paper",
        "water", "field", "plant", "train", "house", "table", "watch", "phone", "money", "night", "dream",
        "heart", "storm", "book", "door", "tree", "metal", "fish", "bird", "shirt", "bridge",
    ];

    /// <summary>The label set; each one GPT-2 token after a space. Default four colours (chance: 1/4).</summary>
    public IReadOnlyList<string> Labels { get; init; } = ["red", "blue", "green", "black"];

    /// <summary>Demonstrations per sequence (distinct inputs). Default 6.</summary>
    public int Demos { get; init; } = 6;

    /// <summary>
    /// Chance that a demonstration after the first repeats an earlier one's input, and so its
    /// label (the mapping is one per sequence). Default 0: every input distinct, as in the task file
    /// and the held-out sequences. Training uses repeats: each repeated demonstration's label is
    /// then determined by the context too, so a sequence teaches recall at several positions.
    /// </summary>
    public double Repeats { get; init; }

    /// <summary>
    /// The sequence with seed <paramref name="seed"/>: <see cref="Demos"/> demonstrations (distinct inputs
    /// unless <see cref="Repeats"/>), each new input with a random label, and one query.
    /// </summary>
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
        if (Repeats is < 0 or >= 1 || double.IsNaN(Repeats))
            throw new IclException(
                string.Create(CultureInfo.InvariantCulture, $"Associative recall's repeat chance must be in [0, 1); got {Repeats}."));
        var demos = new IclExample[Demos];
        for (int d = 0, fresh = 0; d < Demos; d++)
            demos[d] = Repeats > 0 && d > 0 && rng.NextInt(1 << 20) < Repeats * (1 << 20)
                ? demos[rng.NextInt(d)]
                : new IclExample(Inputs[order[fresh++]], Labels[rng.NextInt(Labels.Count)]);
        var asked = demos[rng.NextInt(Demos)];
        var map = Labels.Select((l, i) => new KeyValuePair<string, string>(l, Labels[(i + 1) % Labels.Count])).ToArray();
        return new IclTask($"associative-recall-{seed}", "{input} {label}", "{input}", demos, [asked], new LabelMapCorruption(map)).Validate();
    }

    /// <summary><paramref name="count"/> sequences with seeds <paramref name="firstSeed"/>, <paramref name="firstSeed"/> + 1, ...</summary>
    public IReadOnlyList<IclTask> Sequences(int count, ulong firstSeed = 0) =>
        Enumerable.Range(0, count).Select(i => Sequence(firstSeed + (ulong)i)).ToArray();
}
