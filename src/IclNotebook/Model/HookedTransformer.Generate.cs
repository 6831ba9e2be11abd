using IclNotebook.Generation;

namespace IclNotebook.Model;

public sealed partial class HookedTransformer
{
    /// <summary>
    /// TransformerLens's <c>generate</c>: continues each prompt (BOS prepended as <c>to_tokens</c> does) greedily or sampled,
    /// until its end-of-sequence token, a stop string or the token budget (<see cref="GenerationOptions"/>). Prompts of
    /// different lengths run together; hooks attached in a <see cref="Hooks"/> scope fire at every step, on the whole
    /// prompt first and then on each new position ([batch, 1, ...]) while the key/value cache is used.
    /// </summary>
    public IReadOnlyList<Completion> Generate(IEnumerable<string> prompts, GenerationOptions? options = null)
    {
        options ??= GenerationOptions.Default;
        return Generator.Run(this, Tokenizer.ToTokens(prompts, options.PrependBos).Ids, options);
    }

    /// <summary>One prompt's continuation: <see cref="Generate(IEnumerable{string}, GenerationOptions?)"/> for a single text.</summary>
    public Completion Generate(string prompt, GenerationOptions? options = null) => Generate([prompt], options)[0];

    /// <summary>Continues prompts given as token ids (nothing prepended); their texts too where the model has a tokenizer.</summary>
    public IReadOnlyList<Completion> Generate(IReadOnlyList<int[]> prompts, GenerationOptions? options = null) =>
        Generator.Run(this, prompts, options ?? GenerationOptions.Default);
}
