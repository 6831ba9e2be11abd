namespace IclNotebook.Icl;

/// <summary>
/// What a corruption may draw on for one prompt: which random stream it takes (so each prompt of a sampled task draws
/// its own labels, reproducibly), the labels a random-labels corruption picks from, and each label's token count where
/// the corrupted prompt must keep the clean one's length (null: labels are used as drawn, and a length change is
/// reported by the prompt builder).
/// </summary>
/// <param name="Stream">Added to the corruption's seed: 0 for prompts that share their demos, one stream per prompt otherwise.</param>
/// <param name="LabelSet">The labels a <see cref="RandomLabelsCorruption"/> draws from.</param>
/// <param name="TokenCount">The number of tokens a label's answer text takes, or null.</param>
public sealed record CorruptionDraw(ulong Stream, IReadOnlyList<string> LabelSet, Func<string, int>? TokenCount)
{
    /// <summary>The draw of a task whose prompts share their demos: stream 0, the demos' own labels, no length rule.</summary>
    public static CorruptionDraw Shared(IReadOnlyList<string> labels) => new(0, labels.Distinct(StringComparer.Ordinal).ToArray(), null);

    /// <summary>The draw of prompt <paramref name="prompt"/> of a task whose prompts each have their own demos.</summary>
    public static CorruptionDraw ForPrompt(int prompt, IReadOnlyList<string> labelSet, Func<string, int> tokenCount) =>
        new(unchecked(0x9E3779B97F4A7C15UL * (ulong)(prompt + 1)), labelSet, tokenCount);

    internal SplitMix64 Random(long seed) => new(unchecked((ulong)seed + Stream));
}
