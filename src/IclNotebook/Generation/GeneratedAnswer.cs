namespace IclNotebook.Generation;

/// <summary>
/// How a generated answer is scored against the expected one (Function Vectors' and task vectors' evaluation by
/// generation): the text up to its first line break, without surrounding whitespace, must begin with the expected answer
/// without surrounding whitespace (ordinal, case-sensitive), followed by nothing, whitespace or punctuation. A multi-token
/// answer such as " Kabul" must be generated whole; a model that goes on after the answer ("Kabul, the capital") is right,
/// one that only starts like it ("Kabuli") is not.
/// </summary>
public static class GeneratedAnswer
{
    /// <summary>The stop string that ends an answer (one line per answer, as the prompts are written).</summary>
    public const string LineBreak = "\n";

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
        return line.Length == wanted.Length || char.IsWhiteSpace(line[wanted.Length]) || char.IsPunctuation(line[wanted.Length]);
    }
}
