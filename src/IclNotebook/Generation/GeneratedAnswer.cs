namespace IclNotebook.Generation;

/// <summary>
/// How a generated answer is scored against the expected one (Function Vectors' and task vectors' evaluation by
/// generation; "exact match" in their results): the text up to its first line break, without surrounding whitespace, must
/// be the expected answer without surrounding whitespace (ordinal, case-sensitive) as a whole word: followed by nothing,
/// by whitespace, or by punctuation that ends the word (followed by nothing or whitespace). A multi-token answer such as
/// " Kabul" must be generated whole; a model that goes on after it ("Kabul, the capital", "Kabul.") is right; one that
/// only starts like it ("Kabuli", "1.5" for "1", "3,000" for "3", "New-York" for "New") is not.
/// </summary>
public static class GeneratedAnswer
{
    /// <summary>The stop string that ends an answer (one line per answer, as the prompts are written).</summary>
    public const string LineBreak = "\n";

    /// <summary>Tokens to generate for answers of these lengths in tokens: the longest, and 2 more (room to end the line).</summary>
    public static int TokenBudget(IEnumerable<int> answerLengths) => answerLengths.Max() + 2;

    /// <summary>The share of <paramref name="answers"/> that match their expected answers, with its 95 % bootstrap interval over them.</summary>
    public static Statistics.Interval Accuracy(IReadOnlyList<Completion> answers, IReadOnlyList<string> expected)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(expected);
        return new Statistics.Bootstrap().Mean(answers.Select((a, i) => Matches(a.Text, expected[i]) ? 1.0 : 0.0).ToArray());
    }

    /// <summary>The generated text as it is compared: its first line, trimmed.</summary>
    public static string Normalize(string? text)
    {
        var line = text ?? "";
        int cut = line.IndexOf('\n', StringComparison.Ordinal);
        return (cut >= 0 ? line[..cut] : line).Trim();
    }

    /// <summary>Whether <paramref name="generated"/> is <paramref name="expected"/> (see the class).</summary>
    public static bool Matches(string? generated, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var wanted = expected.Trim();
        var line = Normalize(generated);
        if (wanted.Length == 0 || !line.StartsWith(wanted, StringComparison.Ordinal)) return false;
        int next = wanted.Length;
        if (line.Length == next || char.IsWhiteSpace(line[next])) return true;
        return char.IsPunctuation(line[next]) && (line.Length == next + 1 || char.IsWhiteSpace(line[next + 1]));
    }
}
