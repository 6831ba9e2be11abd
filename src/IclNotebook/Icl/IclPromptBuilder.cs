using IclNotebook.Tokenization;

namespace IclNotebook.Icl;

/// <summary>Turns an <see cref="IclTask"/> into an <see cref="IclPromptSet"/>.</summary>
internal static class IclPromptBuilder
{
    /// <summary>
    /// Formats clean and corrupted prompts, tokenizes both and resolves each query's answer
    /// token. <paramref name="replay"/> defaults to <see cref="CorruptionReplay.Simultaneous"/> (all
    /// labels mapped at once); <see cref="CorruptionReplay.Sequential"/> replays the original
    /// notebook's loop (label-map corruptions only). Throws <see cref="IclException"/> when an
    /// answer is not one token, or when a clean prompt and its corrupted twin differ in token
    /// length (patching needs aligned positions).
    /// </summary>
    public static IclPromptSet Build(IclTask task, ModelTokenizer tokenizer, CorruptionReplay replay = CorruptionReplay.Simultaneous)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(tokenizer);
        task.Validate();
        string source = $"task '{task.Name}'";

        var cleanLabels = task.Demos.Select(d => d.Label).ToArray();
        var cleanLines = task.Demos.Select(task.FormatDemo).ToArray();
        IReadOnlyList<string> corruptedLabels;
        string[] corruptedLines;
        switch (replay)
        {
            case CorruptionReplay.Simultaneous:
                corruptedLabels = task.Corruption.Apply(cleanLabels);
                corruptedLines = task.Demos.Select((d, i) => task.FormatDemo(d with { Label = corruptedLabels[i] })).ToArray();
                break;
            case CorruptionReplay.Sequential when task.Corruption is LabelMapCorruption map:
                // The original's loop: sequential str.replace over the whole formatted line.
                corruptedLines = cleanLines.Select(map.ApplySequentially).ToArray();
                corruptedLabels = cleanLabels.Select(map.ApplySequentially).ToArray();
                if (corruptedLines.SequenceEqual(cleanLines, StringComparer.Ordinal))
                    throw new IclException($"{source}: corruption: the sequential replay changes no demo line, " +
                        "so clean and corrupted prompts are identical and patching measures nothing; " +
                        "use CorruptionReplay.Simultaneous (--replay simultaneous).");
                break;
            case CorruptionReplay.Sequential:
                throw new IclException($"{source}: corruption: the sequential replay is only defined for kind '{LabelMapCorruption.KindName}' " +
                    $"(it replays the original notebook's label-map loop), not '{task.Corruption.Kind}', whose labels are used as written; " +
                    "use CorruptionReplay.Simultaneous (--replay simultaneous).");
            default:
                throw new ArgumentOutOfRangeException(nameof(replay), replay, "Unknown corruption replay.");
        }

        string cleanDemos = string.Join(task.Separator, cleanLines);
        string corruptedDemos = string.Join(task.Separator, corruptedLines);
        var queryLines = task.Queries.Select(task.FormatQuery).ToArray();
        var clean = queryLines.Select(q => cleanDemos + task.Separator + q).ToArray();
        var corrupted = queryLines.Select(q => corruptedDemos + task.Separator + q).ToArray();

        var answerLabels = task.Queries.Select(q => q.Label).ToArray();
        var answerStrings = answerLabels.Select(task.FormatAnswer).ToArray();
        var answerIds = answerStrings.Select((a, i) => AnswerToken(tokenizer, source, i, answerLabels[i], clean[i], a)).ToArray();

        var cleanTokens = tokenizer.ToTokens(clean);
        var corruptedTokens = tokenizer.ToTokens(corrupted);
        CheckAligned(tokenizer, source, replay, cleanTokens, corruptedTokens);

        return new IclPromptSet(task.Name, task.Corruption.Kind, replay, clean, corrupted, cleanLabels, corruptedLabels.ToArray(),
            answerLabels, answerStrings, answerIds, cleanTokens, corruptedTokens);
    }

    /// <summary>The answer's token as the model sees it: the token right after the clean prompt.</summary>
    private static int AnswerToken(ModelTokenizer tokenizer, string source, int query, string label, string prompt, string answer)
    {
        try { return tokenizer.AnswerToken(prompt, answer); }
        catch (IclException e)
        {
            throw new IclException($"{source}: queries[{query}].label: the answer for label '{label}' must be one token, but {e.Message}", e);
        }
    }

    private static void CheckAligned(ModelTokenizer tokenizer, string source, CorruptionReplay replay, TokenBatch clean, TokenBatch corrupted)
    {
        for (int q = 0; q < clean.Count; q++)
        {
            int[] a = clean.Ids[q], b = corrupted.Ids[q];
            if (a.Length == b.Length) continue;
            int p = 0;
            while (p < a.Length && p < b.Length && a[p] == b[p]) p++;
            string At(int[] ids) => p < ids.Length ? $"'{tokenizer.Decode(ids[p])}' ({ids[p]})" : "(end)";
            throw new IclException(
                $"{source}: query {q}: the clean prompt is {a.Length} tokens but the corrupted one ({replay} replay) is {b.Length}; " +
                $"they first differ at position {p} (BOS = 0): clean {At(a)}, corrupted {At(b)}. Activation patching needs aligned positions: " +
                "give each corrupted label as many tokens as the label it replaces " +
                "(a label that is one token clean but two tokens corrupted shifts every later position).");
        }
    }
}
