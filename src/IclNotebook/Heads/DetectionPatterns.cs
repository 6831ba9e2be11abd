namespace IclNotebook.Heads;

/// <summary>
/// The lower-triangular [dest, src] patterns of TransformerLens's head detector
/// (<c>get_previous_token_head_detection_pattern</c> and its siblings), 1 where the head should attend.
/// </summary>
public static class DetectionPatterns
{
    public static double[,] For(HeadPattern pattern, IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return pattern switch
        {
            HeadPattern.PreviousToken => PreviousToken(tokens.Count),
            HeadPattern.DuplicateToken => DuplicateToken(tokens),
            HeadPattern.Induction => Induction(tokens),
            _ => throw new ArgumentOutOfRangeException(nameof(pattern)),
        };
    }

    /// <summary>1 at (i, i-1): each position attends to the previous one.</summary>
    public static double[,] PreviousToken(int n)
    {
        var p = new double[n, n];
        for (int i = 1; i < n; i++) p[i, i - 1] = 1;
        return p;
    }

    /// <summary>1 at (i, j) for j &lt; i with tokens[j] == tokens[i] (a token is not its own duplicate).</summary>
    public static double[,] DuplicateToken(IReadOnlyList<int> tokens)
    {
        int n = tokens.Count;
        var p = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                if (tokens[i] == tokens[j]) p[i, j] = 1;
        return p;
    }

    /// <summary>
    /// The duplicate pattern shifted one source position right: 1 at (i, j+1) for j+1 &lt;= i with
    /// tokens[j] == tokens[i], j &lt; i (the token after an earlier copy of the current one).
    /// </summary>
    public static double[,] Induction(IReadOnlyList<int> tokens)
    {
        int n = tokens.Count;
        var duplicate = DuplicateToken(tokens);
        var p = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 1; j <= i; j++)
                p[i, j] = duplicate[i, j - 1];
        return p;
    }
}
