namespace IclNotebook.Icl;

/// <summary>
/// How a task's corruption is turned into corrupted prompts. The default is
/// <see cref="Default"/>; <see cref="ColabExact"/> exists only to reproduce the original notebook.
/// </summary>
public enum CorruptionMode
{
    /// <summary>
    /// Corrupt the demo <em>labels</em> and re-format the demo lines: a label map is applied to
    /// every label at once (positive becomes negative and negative becomes positive), labels
    /// missing from the map stay, review texts are never touched.
    /// </summary>
    Default,

    /// <summary>
    /// Bit-for-bit the original Colab's corruption loop (only defined for a <c>label-map</c>
    /// corruption); see <see cref="CorruptionModes.ColabExactQuirk"/>.
    /// </summary>
    ColabExact,
}

/// <summary>Plain-words explanations of the corruption modes, for docs and notebooks.</summary>
public static class CorruptionModes
{
    /// <summary>What <see cref="CorruptionMode.ColabExact"/> does differently, in plain words.</summary>
    public const string ColabExactQuirk =
        "ColabExact reproduces the original notebook's corruption loop: for each formatted demo line " +
        "(\"Review: ... Sentiment: label\") it runs Python's str.replace(old, new) once per label-map entry, " +
        "in map order, one after the other, on the whole line. So with the map positive->negative, " +
        "negative->positive, neutral->mixed, mixed->neutral a 'positive' demo becomes 'negative' and is " +
        "immediately turned back into 'positive' (likewise 'neutral'); only the 'negative' demos (-> positive) " +
        "and the 'mixed' demos (-> neutral) actually change. It would also rewrite those words wherever they " +
        "appear inside a review's text. Use it only to match the original's numbers; the Default mode swaps " +
        "every label at once and never edits the review text.";
}
