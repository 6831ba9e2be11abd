using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.Anchors;

/// <summary>The token positions of the demonstrations' label words in a prompt (Wang et al.'s anchors), found from the task file.</summary>
public static class LabelPositions
{
    /// <summary>
    /// Positions (BOS = 0 where the family prepends one) of every token that overlaps a demo label's
    /// characters in <paramref name="prompt"/> (query <paramref name="query"/>'s, whose demos it shows), e.g. the token
    /// " positive" of "Sentiment: positive".
    /// Token spans come from decoding the prompt's tokens one by one; a tokenizer whose pieces do not
    /// decode to the prompt's text is refused with the reason.
    /// </summary>
    public static IReadOnlyList<int> Find(IclTask task, ModelTokenizer tokenizer, string prompt, IReadOnlyList<int> ids, int query = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(ids);
        int first = tokenizer.BosId is { } bos && ids.Count > 0 && ids[0] == bos ? 1 : 0;
        // End character of each token: the length of the decoded prefix through it. A prefix that ends
        // inside a multi-byte character does not decode to a prefix of the text: that token gets no
        // width of its own and the next one carries it. SentencePiece decoders drop the leading space.
        var ends = new int[ids.Count];
        int end = 0;
        for (int i = first; i < ids.Count; i++)
        {
            string decoded = tokenizer.Decode(ids.Skip(first).Take(i - first + 1));
            if (prompt.StartsWith(decoded, StringComparison.Ordinal)) end = decoded.Length;
            else if (prompt.StartsWith(decoded.TrimStart(), StringComparison.Ordinal)) end = decoded.TrimStart().Length;
            ends[i] = end;
        }
        if (ids.Count > first && ends[^1] != prompt.Length)
            throw new IclException($"Cannot place the label words in task '{task.Name}': " +
                $"the prompt's tokens do not decode back to its text with {tokenizer.Description}.");
        var positions = new SortedSet<int>();
        foreach (var (demo, start, length) in DemoLabelSpans.Find(task, query))
        {
            int before = positions.Count;
            for (int i = first; i < ids.Count; i++)
            {
                int tokenStart = i == first ? 0 : ends[i - 1];
                if (tokenStart < start + length && ends[i] > start) positions.Add(i);
            }
            if (positions.Count == before)
                throw new IclException($"Task '{task.Name}': query {query}'s demo {demo}, label '{task.DemosOf(query)[demo].Label}', covers no token of the prompt; " +
                    "check the demo template.");
        }
        return positions.ToArray();
    }
}
