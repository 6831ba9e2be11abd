using System.Text.Json.Serialization;
using IclNotebook.Tokenization;

namespace IclNotebook.Icl;

/// <summary>
/// Clean and corrupted prompts of a task, one pair per query, ready for activation patching:
/// both token batches are tokenized by the model's tokenizer, with BOS as its family prepends it, and right-padded with its pad id (TransformerLens's
/// <c>to_tokens</c>), and each clean prompt has the same token length as its corrupted twin.
/// Built by <see cref="IclTask.BuildPrompts"/>; a shard file stores it as JSON (texts, labels, answers, token ids, pad ids),
/// so merging shards needs neither the task file nor the tokenizer.
/// </summary>
/// <param name="TaskName">The task's name.</param>
/// <param name="CorruptionKind">The task's corruption kind (<c>label-map</c>, <c>explicit</c>, <c>shuffle</c>).</param>
/// <param name="Replay">How the corruption was replayed onto the demonstrations.</param>
/// <param name="CleanPrompts">One prompt per query: demos joined by the separator, the separator, the query line.</param>
/// <param name="CorruptedPrompts">The same with corrupted demos.</param>
/// <param name="CleanDemoLabels">Prompt by prompt, each demo's label as written in the task (or sampled from its dataset).</param>
/// <param name="CorruptedDemoLabels">Prompt by prompt, each demo's label in the corrupted prompt.</param>
/// <param name="AnswerLabels">Each query's expected label (e.g. <c>positive</c>).</param>
/// <param name="AnswerStrings">Each query's expected answer text (e.g. <c>" positive"</c>).</param>
/// <param name="AnswerTokenIds">Each query's expected answer token id (e.g. 3967): the answer's first token where answers
/// may be longer (<see cref="IclTask.FirstTokenAnswers"/>), which is what the metric reads.</param>
/// <param name="CleanTokens">Tokens of <paramref name="CleanPrompts"/>.</param>
/// <param name="CorruptedTokens">Tokens of <paramref name="CorruptedPrompts"/>.</param>
/// <param name="AnswerTokens">Each query's whole answer as tokens after its clean prompt (one token unless
/// <see cref="IclTask.FirstTokenAnswers"/>), for a teacher-forced log-probability of the whole answer.</param>
public sealed record IclPromptSet(
    string TaskName,
    string CorruptionKind,
    [property: JsonConverter(typeof(OptionNameJson<CorruptionReplay>))] CorruptionReplay Replay,
    IReadOnlyList<string> CleanPrompts,
    IReadOnlyList<string> CorruptedPrompts,
    IReadOnlyList<IReadOnlyList<string>> CleanDemoLabels,
    IReadOnlyList<IReadOnlyList<string>> CorruptedDemoLabels,
    IReadOnlyList<string> AnswerLabels,
    IReadOnlyList<string> AnswerStrings,
    IReadOnlyList<int> AnswerTokenIds,
    TokenBatch CleanTokens,
    TokenBatch CorruptedTokens,
    IReadOnlyList<IReadOnlyList<int>> AnswerTokens)
{
    /// <summary>Number of prompt pairs (queries).</summary>
    [JsonIgnore]
    public int Count => CleanPrompts.Count;
}
