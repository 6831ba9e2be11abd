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

        int n = task.Queries.Count;
        var tokenCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        int TokenCount(string label) =>
            tokenCounts.TryGetValue(label, out int c) ? c : tokenCounts[label] = tokenizer.Encode(task.FormatAnswer(label)).Length;
        var cleanLabels = new IReadOnlyList<string>[n];
        var corruptedLabels = new IReadOnlyList<string>[n];
        var clean = new string[n];
        var corrupted = new string[n];
        for (int q = 0; q < n; q++)
        {
            var demos = task.DemosOf(q);
            cleanLabels[q] = demos.Select(d => d.Label).ToArray();
            var cleanLines = demos.Select(task.FormatDemo).ToArray();
            string[] corruptedLines;
            switch (replay)
            {
                case CorruptionReplay.Simultaneous:
                    var labels = task.CorruptedLabels(q, TokenCount);
                    corruptedLabels[q] = labels;
                    corruptedLines = demos.Select((d, i) => task.FormatDemo(d with { Label = labels[i] })).ToArray();
                    break;
                case CorruptionReplay.Sequential when task.Corruption is LabelMapCorruption map:
                    // The original's loop: sequential str.replace over the whole formatted line.
                    corruptedLines = cleanLines.Select(map.ApplySequentially).ToArray();
                    corruptedLabels[q] = cleanLabels[q].Select(map.ApplySequentially).ToArray();
                    break;
                case CorruptionReplay.Sequential:
                    throw new IclException($"{source}: corruption: the sequential replay is only defined for kind '{LabelMapCorruption.KindName}' " +
                        $"(it replays the original notebook's label-map loop), not '{task.Corruption.Kind}', whose labels are used as written; " +
                        "use CorruptionReplay.Simultaneous (--replay simultaneous).");
                default:
                    throw new ArgumentOutOfRangeException(nameof(replay), replay, "Unknown corruption replay.");
            }
            string query = task.FormatQuery(task.Queries[q]);
            clean[q] = string.Join(task.Separator, cleanLines) + task.Separator + query;
            corrupted[q] = string.Join(task.Separator, corruptedLines) + task.Separator + query;
        }
        if (clean.SequenceEqual(corrupted, StringComparer.Ordinal))
            throw new IclException(replay == CorruptionReplay.Sequential
                ? $"{source}: corruption: the sequential replay changes no demo line, so clean and corrupted prompts are identical and " +
                  "patching measures nothing; use CorruptionReplay.Simultaneous (--replay simultaneous)."
                : $"{source}: corruption: no prompt's demo labels change once each label keeps its token count, so clean and corrupted " +
                  "prompts are identical and patching measures nothing; use more shots or a corruption that changes labels.");

        var answerLabels = task.Queries.Select(q => q.Label).ToArray();
        var answerStrings = answerLabels.Select(task.FormatAnswer).ToArray();
        var answerTokens = answerStrings.Select((a, i) => AnswerTokens(tokenizer, task, source, i, answerLabels[i], clean[i], a)).ToArray();

        var cleanTokens = tokenizer.ToTokens(clean);
        var corruptedTokens = tokenizer.ToTokens(corrupted);
        CheckAligned(tokenizer, source, replay, cleanTokens, corruptedTokens);

        return new IclPromptSet(task.Name, task.Corruption.Kind, replay, clean, corrupted, cleanLabels, corruptedLabels,
            answerLabels, answerStrings, answerTokens.Select(t => t[0]).ToArray(), cleanTokens, corruptedTokens, answerTokens);
    }

    /// <summary>
    /// The answer's tokens as the model sees them: those right after the clean prompt; one token unless the task reads
    /// the first of several (<see cref="IclTask.FirstTokenAnswers"/>).
    /// </summary>
    private static int[] AnswerTokens(ModelTokenizer tokenizer, IclTask task, string source, int query, string label, string prompt, string answer)
    {
        try { return task.FirstTokenAnswers ? tokenizer.AnswerTokens(prompt, answer) : [tokenizer.AnswerToken(prompt, answer)]; }
        catch (IclException e)
        {
            string must = task.FirstTokenAnswers ? "must follow the prompt as tokens of its own" : "must be one token";
            throw new IclException($"{source}: queries[{query}].label: the answer for label '{label}' {must}, but {e.Message}", e);
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
