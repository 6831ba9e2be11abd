namespace IclNotebook.Heads;

/// <summary>The attention patterns TransformerLens's head detector looks for (<c>HeadName</c> in <c>head_detector.py</c>).</summary>
public enum HeadPattern
{
    /// <summary><c>previous_token_head</c>: each position attends to the one before it.</summary>
    PreviousToken,

    /// <summary><c>duplicate_token_head</c>: each position attends to earlier occurrences of its own token.</summary>
    DuplicateToken,

    /// <summary><c>induction_head</c>: each position attends to the token after an earlier occurrence of its own token.</summary>
    Induction,
}

/// <summary>How the detector compares a head's pattern with the one it looks for (TL's <c>error_measure</c>).</summary>
public enum ErrorMeasure
{
    /// <summary><c>mul</c>: the share of the head's attention that falls on the pattern, sum(A ⊙ P) / sum(A) (TL's default).</summary>
    Mul,

    /// <summary><c>abs</c>: 1 − mean over destination positions of the summed |A − P| per row, rounded to 3 decimals as TL does.</summary>
    Abs,
}

/// <summary>TransformerLens's names for the patterns and measures (for JSON and the CLI).</summary>
public static class HeadPatternNames
{
    public static string Name(this HeadPattern pattern) => pattern switch
    {
        HeadPattern.PreviousToken => "previous_token_head",
        HeadPattern.DuplicateToken => "duplicate_token_head",
        HeadPattern.Induction => "induction_head",
        _ => throw new ArgumentOutOfRangeException(nameof(pattern)),
    };

    public static string Name(this ErrorMeasure measure) => measure == ErrorMeasure.Mul ? "mul" : "abs";

    /// <summary>
    /// Parses <c>previous_token_head</c> (or <c>previous_token</c>, <c>previous</c>), <c>duplicate_token_head</c>,
    /// <c>induction_head</c>.
    /// </summary>
    public static HeadPattern Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "previous_token_head" or "previous_token" or "previous" or "prev" => HeadPattern.PreviousToken,
        "duplicate_token_head" or "duplicate_token" or "duplicate" => HeadPattern.DuplicateToken,
        "induction_head" or "induction" => HeadPattern.Induction,
        _ => throw new IclException($"Unknown head pattern '{name}'. Patterns: previous_token_head, duplicate_token_head, induction_head."),
    };

    public static IReadOnlyList<HeadPattern> All { get; } = [HeadPattern.PreviousToken, HeadPattern.DuplicateToken, HeadPattern.Induction];
}
