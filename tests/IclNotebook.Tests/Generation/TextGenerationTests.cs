using IclNotebook.Generation;
using IclNotebook.Loading;
using IclNotebook.Model;

namespace IclNotebook.Tests.Generation;

/// <summary>Generating text on the fixture models (each family's folder with its own tokenizer): stop strings, EOS ids, streaming.</summary>
public class TextGenerationTests
{
    private static readonly string[] Texts = ["The film was", "I watched it twice and the ending still", "Bad"];

    private static HookedTransformer Load(string folder) =>
        ModelLoader.LoadFolder(Path.Combine(Fixtures.Root, "models", folder), WeightProcessing.Default);

    [Theory]
    [InlineData("tiny-gpt2-a")]
    [InlineData("tiny-neox-a")]
    [InlineData("tiny-llama-a")]
    [InlineData("tiny-llama3-a")]
    [InlineData("tiny-qwen2-a")]
    public void Text_prompts_of_different_lengths_generate_the_same_with_and_without_the_cache(string folder)
    {
        using var model = Load(folder);
        var options = new GenerationOptions { MaxNewTokens = 12, StopAtEos = false };
        var cached = model.Generate(Texts, options);
        var reference = model.Generate(Texts, options with { UseCache = false });
        Assert.Equal(reference.Select(c => c.Tokens), cached.Select(c => c.Tokens));
        Assert.Equal(reference.Select(c => c.Text), cached.Select(c => c.Text));
        // The text is what the tokens add to the prompt's text (a SentencePiece decoder keeps the continuation's leading space:
        // the llama folders fail this when the new tokens are decoded alone).
        Assert.All(cached, c => Assert.Equal(model.Tokenizer.Decode([.. c.Prompt, .. c.Tokens]), model.Tokenizer.Decode(c.Prompt) + c.Text));
    }

    [Fact]
    public void A_stop_string_cuts_the_text_before_it_and_streaming_hands_out_the_same_text()
    {
        using var model = Load("tiny-gpt2-a");
        var free = model.Generate("The film was", new GenerationOptions { MaxNewTokens = 16 });
        Assert.Equal(CompletionEnd.TokenBudget, free.End);
        var stop = free.Text!.Substring(free.Text.Length / 2, 3);
        int cut = free.Text.IndexOf(stop, StringComparison.Ordinal);
        var pieces = new List<GeneratedToken>();
        var stopped = model.Generate("The film was", new GenerationOptions { MaxNewTokens = 16, StopStrings = [stop], OnToken = pieces.Add });
        Assert.Equal(CompletionEnd.StopString, stopped.End);
        Assert.Equal(free.Text[..cut], stopped.Text);
        Assert.Equal(stopped.Tokens.Length, pieces.Count);
        Assert.Equal(stopped.Tokens, pieces.Select(p => p.Token));
        Assert.Equal(stopped.Text, string.Concat(pieces.Select(p => p.Text)));
        Assert.StartsWith(model.Tokenizer.Decode(stopped.Tokens[..^1]), free.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stop_string_across_two_tokens_is_never_streamed_in_part()
    {
        using var model = Load("tiny-gpt2-a");
        var free = model.Generate("The film was", new GenerationOptions { MaxNewTokens = 16 });
        int k = Enumerable.Range(3, 10).First(i => model.Tokenizer.Decode(free.Tokens[i]).Length >= 2
            && model.Tokenizer.Decode(free.Tokens[i - 1]).Length >= 2);
        int boundary = model.Tokenizer.Decode(free.Tokens[..k]).Length;
        var stop = free.Text!.Substring(boundary - 1, 2);                                   // the last character of one token, the first of the next
        var pieces = new List<GeneratedToken>();
        var stopped = model.Generate("The film was", new GenerationOptions { MaxNewTokens = 16, StopStrings = [stop], OnToken = pieces.Add });
        Assert.Equal(free.Text[..free.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(stopped.Text, string.Concat(pieces.Select(p => p.Text)));
    }

    [Fact]
    public void End_of_sequence_ids_come_from_the_tokenizer_config_and_the_model_configs()
    {
        using var qwen = Load("tiny-qwen2-a");
        Assert.Equal([151645, 151643], qwen.Tokenizer.EosIds);   // tokenizer_config's <|im_end|>, config.json's <|endoftext|>
        using var gpt2 = Load("tiny-gpt2-a");
        Assert.Equal([50256], gpt2.Tokenizer.EosIds);
        var free = gpt2.Generate("The film was", new GenerationOptions { MaxNewTokens = 8, StopAtEos = false });
        var eos = new GenerationOptions { MaxNewTokens = 8, StopTokens = [free.Tokens[2]] };
        var stopped = gpt2.Generate("The film was", eos);
        Assert.Equal(CompletionEnd.StopToken, stopped.End);
        Assert.Equal(gpt2.Tokenizer.Decode(stopped.Tokens[..^1]), stopped.Text);   // the stop token is not text
    }
}
