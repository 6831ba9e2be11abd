namespace IclNotebook.Generation;

/// <summary>Why a row stopped.</summary>
public enum CompletionEnd
{
    /// <summary>It generated its budget of tokens.</summary>
    TokenBudget,

    /// <summary>It generated an end-of-sequence or stop token (kept in <see cref="Completion.Tokens"/>, not in the text).</summary>
    StopToken,

    /// <summary>Its text reached a stop string (the text ends before it).</summary>
    StopString,
}

/// <summary>
/// What one prompt generated: its tokens (the prompt's excluded), their text where the model has a tokenizer, why it
/// stopped, and each step's logits when they were kept (<see cref="GenerationOptions.KeepLogits"/>).
/// </summary>
/// <param name="Prompt">The prompt's token ids (BOS included when prepended).</param>
/// <param name="Tokens">The generated token ids, in order.</param>
/// <param name="Text">The generated text (without a final stop token, cut before a stop string); null without a tokenizer.</param>
/// <param name="End">Why generation stopped.</param>
/// <param name="StepLogits">Step i's logits (the distribution <see cref="Tokens"/>[i] was chosen from), or null.</param>
public sealed record Completion(int[] Prompt, int[] Tokens, string? Text, CompletionEnd End, IReadOnlyList<float[]>? StepLogits);
