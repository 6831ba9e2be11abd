using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.Toy;

/// <summary>
/// Token ids of <see cref="AssociativeRecall"/> sequences built from each word's one token, for
/// the trainer (which makes about a million of them): <c>[BOS] (input label "\n")* input</c>,
/// the answer the label token that follows. The constructor checks this layout against the
/// tokenizer on the prompt the kit itself builds from a sequence holding every input and label, so
/// the trainer sees exactly the tokens an analysis of the task file sees; a word that is not one
/// token is refused by name.
/// </summary>
internal sealed class RecallTokens
{
    private readonly Dictionary<string, int> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly int _bos, _newline;

    public RecallTokens(AssociativeRecall recall, ModelTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(recall);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _bos = tokenizer.BosId ?? throw new IclException($"The toy task needs a tokenizer with a BOS token; {tokenizer.Description} has none.");
        // Inputs start a line (after BOS or "\n"): no leading space. Labels follow their input after one space.
        foreach (var input in recall.Inputs) _inputs[input] = One(tokenizer, input, "input");
        foreach (var label in recall.Labels) _labels[label] = One(tokenizer, " " + label, "label");
        _newline = One(tokenizer, "\n", "separator");

        // The kit's own prompt for a sequence with every input (labels in turn) must be this layout.
        var all = recall with { Demos = recall.Inputs.Count };
        var probe = all.Sequence(0);
        var kit = probe.BuildPrompts(tokenizer).CleanTokens.Ids[0];
        var (mine, _) = Of(probe);
        if (!kit.Select(i => (long)i).SequenceEqual(mine))
            throw new IclException("The toy task's words do not tokenize one token each in context: " +
                $"the prompt '{probe.Name}' has {kit.Length} tokens, expected {mine.Length}. " +
                "Choose inputs that stay one token at a line start and labels that stay one token after a space.");
    }

    /// <summary>Tokens of a sequence with <paramref name="demos"/> demonstrations after <paramref name="blankLines"/> extra "\n" tokens.</summary>
    public static int Length(int demos, int blankLines = 0) => 1 + blankLines + 3 * demos + 1;

    /// <summary>
    /// The sequence's token ids and its answer's token; <paramref name="blankLines"/> "\n" tokens
    /// between BOS and the first demonstration move every position (training only: the kit's
    /// prompts have none).
    /// </summary>
    public (long[] Tokens, long Answer) Of(IclTask sequence, int blankLines = 0)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var tokens = new long[Length(sequence.Demos.Count, blankLines)];
        int p = 0;
        tokens[p++] = _bos;
        for (int i = 0; i < blankLines; i++) tokens[p++] = _newline;
        foreach (var demo in sequence.Demos)
        {
            tokens[p++] = _inputs[demo.Input];
            tokens[p++] = _labels[demo.Label];
            tokens[p++] = _newline;
        }
        var query = sequence.Queries[0];
        tokens[p] = _inputs[query.Input];
        return (tokens, _labels[query.Label]);
    }

    /// <summary>
    /// Where the context determines the next token, with that token: the input of each
    /// demonstration whose input came earlier in the sequence (its label repeats), and the query
    /// (the answer), the last position.
    /// </summary>
    public IReadOnlyList<(int Position, long Label)> Targets(IclTask sequence, int blankLines = 0)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var targets = new List<(int, long)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int d = 0; d < sequence.Demos.Count; d++)
            if (!seen.Add(sequence.Demos[d].Input)) targets.Add((1 + blankLines + 3 * d, _labels[sequence.Demos[d].Label]));
        targets.Add((Length(sequence.Demos.Count, blankLines) - 1, _labels[sequence.Queries[0].Label]));
        return targets;
    }

    /// <summary>Every token a sequence can hold or answer: BOS, "\n", the inputs, the labels.</summary>
    public IEnumerable<long> All =>
        new long[] { _bos, _newline }.Concat(_inputs.Values.Select(i => (long)i)).Concat(_labels.Values.Select(l => (long)l));

    /// <summary>The token of <paramref name="label"/> as an answer.</summary>
    public long Label(string label) => _labels[label];

    private static int One(ModelTokenizer tokenizer, string text, string what)
    {
        var ids = tokenizer.Encode(text);
        return ids.Length == 1 ? ids[0]
            : throw new IclException($"The toy task's {what} '{text.Trim()}' is {ids.Length} tokens as " +
                $"'{text.Replace("\n", "\\n", StringComparison.Ordinal)}' ({tokenizer.Description}); " +
                "every input and label must be one token (inputs at a line start, labels after a space).");
    }
}
