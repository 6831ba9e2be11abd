using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// A prompt set as a shard file stores it (texts, labels, answers, token ids, pad ids), so that
/// merging shards needs neither the task file nor the tokenizer, and every shard's prompts can be
/// compared with the others'.
/// </summary>
public sealed record StoredPrompts(
    string TaskName,
    string CorruptionKind,
    string Replay,
    IReadOnlyList<string> CleanPrompts,
    IReadOnlyList<string> CorruptedPrompts,
    IReadOnlyList<string> CleanDemoLabels,
    IReadOnlyList<string> CorruptedDemoLabels,
    IReadOnlyList<string> AnswerLabels,
    IReadOnlyList<string> AnswerStrings,
    IReadOnlyList<int> AnswerTokenIds,
    IReadOnlyList<int[]> CleanIds,
    IReadOnlyList<int[]> CorruptedIds,
    int CleanPad,
    int CorruptedPad)
{
    public static StoredPrompts From(IclPromptSet p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new StoredPrompts(p.TaskName, p.CorruptionKind, OptionNames.Name(p.Replay), p.CleanPrompts, p.CorruptedPrompts, p.CleanDemoLabels,
            p.CorruptedDemoLabels, p.AnswerLabels, p.AnswerStrings, p.AnswerTokenIds, p.CleanTokens.Ids, p.CorruptedTokens.Ids,
            p.CleanTokens.PadId, p.CorruptedTokens.PadId);
    }

    public IclPromptSet ToPromptSet() => new(TaskName, CorruptionKind, OptionNames.Parse<CorruptionReplay>(Replay), CleanPrompts, CorruptedPrompts,
        CleanDemoLabels, CorruptedDemoLabels, AnswerLabels, AnswerStrings, AnswerTokenIds, new TokenBatch(CleanIds, CleanPad),
        new TokenBatch(CorruptedIds, CorruptedPad));
}
