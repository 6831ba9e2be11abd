namespace IclNotebook.Tokenization;

/// <summary>
/// A model's tokenizer with TransformerLens's conventions (<c>model.tokenizer</c>, <c>to_tokens</c>,
/// <c>to_str_tokens</c>, <c>to_single_token</c>): each family's tokenizer says how text becomes ids
/// and which ids are BOS and padding; the conventions are written once, here. The model owns its
/// tokenizer (<see cref="Model.HookedTransformer.Tokenizer"/>); token batches remember theirs.
/// </summary>
public abstract class ModelTokenizer
{
    /// <summary>
    /// The tokenizer the kit ships for a <c>model_type</c>, or null: GPT-2's (so GPT-2 folders and hub
    /// repositories are read without their tokenizer files, and nothing is downloaded for them). The one
    /// place that decides it.
    /// </summary>
    public static ModelTokenizer? Bundled(string modelType) => modelType == "gpt2" ? new Gpt2Tokenizer() : null;

    /// <summary>What this tokenizer is, for messages (e.g. "GPT-2's byte-level BPE").</summary>
    public abstract string Description { get; }

    /// <summary>The id TransformerLens prepends as BOS, or null when the family prepends none.</summary>
    public abstract int? BosId { get; }

    /// <summary>The ids that end a generated sequence (the family's end-of-sequence tokens); empty when none is known.</summary>
    public abstract IReadOnlyList<int> EosIds { get; }

    /// <summary>The id batches are right-padded with.</summary>
    public abstract int PadId { get; }

    /// <summary>Token ids of <paramref name="text"/>, no BOS.</summary>
    public abstract int[] Encode(string text);

    /// <summary>The text of one token (may be a partial UTF-8 character for byte tokens).</summary>
    public abstract string Decode(int id);

    /// <summary>The text of a sequence of tokens.</summary>
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>
    /// TL's <c>to_tokens</c>: BOS prepended where the family has one (unless <paramref name="prependBos"/> is false),
    /// right-padded with <see cref="PadId"/>.
    /// </summary>
    public TokenBatch ToTokens(IEnumerable<string> prompts, bool prependBos = true)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var ids = prompts.Select(p => prependBos && BosId is { } bos ? [bos, .. Encode(p)] : Encode(p)).ToArray();
        return new TokenBatch(ids, PadId) { Tokenizer = this };
    }

    /// <summary>TL's <c>to_str_tokens</c>: each token's text, BOS first by default.</summary>
    public IReadOnlyList<string> ToStrTokens(string text, bool prependBos = true) =>
        ToTokens([text], prependBos).Ids[0].Select(Decode).ToArray();

    /// <summary>
    /// The token <paramref name="answer"/> (e.g. " positive") gets right after <paramref name="prompt"/>:
    /// the ids of prompt + answer must be the prompt's ids and one more. In context, not alone:
    /// SentencePiece-style tokenizers encode " positive" alone with an extra word-start marker.
    /// Throws naming the answer and what it became otherwise.
    /// </summary>
    public int AnswerToken(string prompt, string answer)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(answer);
        var before = Encode(prompt);
        var after = Encode(prompt + answer);
        if (after.Length == before.Length + 1 && after.AsSpan(0, before.Length).SequenceEqual(before)) return after[^1];
        int shared = 0;
        while (shared < before.Length && shared < after.Length && before[shared] == after[shared]) shared++;
        var extra = after.Skip(shared).ToArray();
        var pieces = string.Join(", ", extra.Select(i => $"'{Decode(i)}' ({i})"));
        string hint = answer.StartsWith(' ')
            ? $"choose a label {Description} encodes as one token after the prompt"
            : "labels usually need a leading space, e.g. ' positive'";
        throw new IclException(shared < before.Length
            ? $"'{answer}' is not a single token after the prompt: it merges with the prompt's last token(s) into [{pieces}]; {hint}."
            : $"'{answer}' is not a single token: it becomes {extra.Length} tokens after the prompt [{pieces}]; {hint}.");
    }

    /// <summary>
    /// The tokens <paramref name="answer"/> (e.g. " Kabul") becomes right after <paramref name="prompt"/>, one or more:
    /// the ids of prompt + answer must be the prompt's ids and these. Throws naming the answer when it merges with the
    /// prompt's last token(s) or adds no token.
    /// </summary>
    public int[] AnswerTokens(string prompt, string answer)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(answer);
        var before = Encode(prompt);
        var after = Encode(prompt + answer);
        if (after.Length > before.Length && after.AsSpan(0, before.Length).SequenceEqual(before)) return after[before.Length..];
        int shared = 0;
        while (shared < before.Length && shared < after.Length && before[shared] == after[shared]) shared++;
        var pieces = string.Join(", ", after.Skip(shared).Select(i => $"'{Decode(i)}' ({i})"));
        throw new IclException(after.Length <= before.Length && shared == after.Length
            ? $"'{answer}' adds no token after the prompt; give a non-empty answer."
            : $"'{answer}' merges with the prompt's last token(s) into [{pieces}], so the prompt does not end where the answer starts; " +
              "end the query template before the answer's first character (e.g. \"A:\" with answers \" {label}\").");
    }

    /// <summary>
    /// The id of a string that must be exactly one token (an answer label such as " positive").
    /// Throws naming the string and what it tokenizes to otherwise.
    /// </summary>
    public int ToSingleToken(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Encode(text);
        if (ids.Length == 1) return ids[0];
        var pieces = string.Join(", ", ids.Select(i => $"'{Decode(i)}' ({i})"));
        string hint = text.StartsWith(' ')
            ? $"choose a label {Description} encodes as one token"
            : "labels usually need a leading space, e.g. ' positive'";
        throw new IclException($"'{text}' is not a single token: it becomes {ids.Length} tokens [{pieces}]; {hint}.");
    }
}
