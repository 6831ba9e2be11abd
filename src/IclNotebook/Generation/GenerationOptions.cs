namespace IclNotebook.Generation;

/// <summary>
/// How <see cref="Model.HookedTransformer.Generate(IEnumerable{string}, GenerationOptions?)"/> lets a model speak: a token
/// budget, how each token is chosen, where a row stops (its end-of-sequence token, a stop string, or the budget), and
/// whether a key/value cache is used (the default; without it each step is a whole forward, the reference the cache is
/// checked against).
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>At most this many new tokens per prompt (TransformerLens's <c>max_new_tokens</c>).</summary>
    public int MaxNewTokens { get; init; } = 20;

    /// <summary>Greedy (the default) or sampled.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Stop a row at the tokenizer's end-of-sequence token(s) (<see cref="Tokenization.ModelTokenizer.EosIds"/>).</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>More token ids that end a row (e.g. a chat model's end-of-turn token); kept in the row's tokens.</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>
    /// Texts that end a row as soon as its generated text contains one (e.g. "\n" for one-line answers): the text is cut
    /// before it; the tokens keep the one that completed it. Needs the model's tokenizer.
    /// </summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Prepend the family's BOS to text prompts, as TransformerLens's <c>to_tokens</c> does.</summary>
    public bool PrependBos { get; init; } = true;

    /// <summary>Keep the key/value cache between steps (each new token costs one position); false runs a whole forward per step.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Prompts generated together (the longest of them sets the batch's width).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Keep each step's logits (float32 over the vocabulary) in <see cref="Completion.StepLogits"/>.</summary>
    public bool KeepLogits { get; init; }

    /// <summary>Called once per generated token of every row as it comes (streaming).</summary>
    public Action<GeneratedToken>? OnToken { get; init; }

    /// <summary>Greedy, 20 tokens, stopping at EOS.</summary>
    public static GenerationOptions Default { get; } = new();

    /// <summary>These options, or an <see cref="IclException"/> naming the value out of range.</summary>
    public GenerationOptions Validate()
    {
        if (MaxNewTokens < 1) throw new IclException($"max new tokens {MaxNewTokens}: give at least 1.");
        if (BatchSize < 1) throw new IclException($"batch size {BatchSize}: give at least 1 prompt per batch.");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new IclException("A stop string is empty: every stop string needs at least one character.");
        (Sampling ?? throw new IclException("Sampling options are missing: give SamplingOptions.Greedy for greedy decoding.")).Validate();
        return this;
    }
}

/// <summary>One token as it is generated: the prompt's index, the token, and the text it added (empty while a character is incomplete).</summary>
public sealed record GeneratedToken(int Prompt, int Token, string Text);
