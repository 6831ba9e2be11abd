using IclNotebook.Tokenization.HuggingFace;

namespace IclNotebook.Tests.Tokenization;

/// <summary>
/// The Split pre-tokenizer's behaviors, on a tokenizer.json whose merges would join across the delimiter ("a -", "- b"):
/// where the pieces end decides which merges can happen, so each behavior gives its own ids. The expected cuts are those of
/// Hugging Face's Rust tokenizers (SplitDelimiterBehavior's documentation: "the-final--countdown" by "-" merged with previous
/// is "the-", "final-", "-", "countdown"; with next "the", "-final", "-", "-countdown"); npm's @huggingface/tokenizers 0.2.0
/// cuts every behavior but Removed as Isolated (seen: [0, 1, 2] for all three here), so it cannot be the reference for this.
/// Gemma's tokenizer declares MergedWithPrevious on " " after its normalizer has replaced every space: there it cuts nothing.
/// </summary>
public class SplitBehaviorTests
{
    [Theory]
    [InlineData("Isolated", new[] { 0, 1, 2 })]            // "a", "-", "b"
    [InlineData("MergedWithPrevious", new[] { 3, 2 })]     // "a-", "b"
    [InlineData("MergedWithNext", new[] { 0, 4 })]         // "a", "-b"
    public void Each_behavior_cuts_where_Hugging_Face_does(string behavior, int[] expected)
    {
        using var temp = new TempFolder("icl-split");
        File.WriteAllText(temp["tokenizer.json"], $$$"""
            {"version": "1.0", "added_tokens": [], "normalizer": null, "post_processor": null, "decoder": null,
             "pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "{{{behavior}}}", "invert": false},
             "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
                       "fuse_unk": false, "byte_fallback": false, "vocab": {"a": 0, "-": 1, "b": 2, "a-": 3, "-b": 4},
                       "merges": ["a -", "- b"]}}
            """);
        File.WriteAllText(temp["tokenizer_config.json"], """{"eos_token": "b"}""");
        var tokenizer = HfTokenizer.Load(temp.Path, prependBos: false);
        Assert.Equal(expected, tokenizer.Encode("a-b"));
    }
}
