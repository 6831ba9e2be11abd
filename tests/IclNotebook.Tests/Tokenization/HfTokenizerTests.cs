using System.Text.Json;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Tests.Families;
using IclNotebook.Tokenization.HuggingFace;

namespace IclNotebook.Tests.Tokenization;

/// <summary>
/// tokenizer.json as this kit reads it against Hugging Face's own implementation (npm
/// @huggingface/tokenizers, which made tests/fixtures/prompts/families/*): byte-level BPE (GPT-NeoX's
/// GPT-2 vocabulary, Qwen2's with NFC and its Split regex) and SentencePiece-style BPE with byte
/// fallback (Llama/Mistral), with each family's BOS and padding as TransformerLens's to_tokens.
/// </summary>
public class HfTokenizerTests
{
    public static TheoryData<string> Models => new() { "tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a" };

    private static JsonElement Prompts(string model) =>
        Fixtures.Json(Path.Combine(Fixtures.Root, "prompts", "families", $"prompts-{model}.json"));

    private static int[][] Ints(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    [Fact]
    public void An_id_past_the_named_vocabulary_decodes_to_nothing_as_in_Hugging_Face()
    {
        // Pythia pads its embedding to 50,304 rows; its tokenizer names 50,258 (HF's decode skips the others).
        var tokenizer = HfTokenizer.Load(FamilyFixture.Folder("tiny-neox-a"), prependBos: true);
        int hello = tokenizer.Encode("Hello")[0];
        Assert.Equal("", tokenizer.Decode(50301));
        Assert.Equal("Hello", tokenizer.Decode([50301, hello, 50303]));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_prompt_gets_Hugging_Face_ids_and_TransformerLens_BOS_and_padding(string model)
    {
        var p = Prompts(model);
        using var m = ModelLoader.LoadFolder(FamilyFixture.Folder(model));
        var tokenizer = Assert.IsType<HfTokenizer>(m.Tokenizer);
        foreach (var which in new[] { "clean", "corrupted" })
        {
            var prompts = p.GetProperty($"{which}_prompts").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var expected = Ints(p.GetProperty($"{which}_prompt_ids_no_special"));
            for (int i = 0; i < prompts.Length; i++)
                Assert.Equal(expected[i], tokenizer.Encode(prompts[i]));
            var batch = tokenizer.ToTokens(prompts);
            Assert.Equal(Ints(p.GetProperty($"{which}_tokens")), batch.Padded().Select(r => r.Select(x => (int)x).ToArray()).ToArray());
            Assert.Equal(p.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()), batch.Lengths);
        }
        var conventions = p.GetProperty("conventions");
        Assert.Equal(conventions.GetProperty("pad_id").GetInt32(), tokenizer.PadId);
        Assert.Equal(conventions.GetProperty("prepend_bos").GetBoolean(), tokenizer.BosId is not null);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Answers_are_the_token_after_the_prompt_and_text_round_trips(string model)
    {
        var p = Prompts(model);
        using var m = ModelLoader.LoadFolder(FamilyFixture.Folder(model));
        var prompts = p.GetProperty("clean_prompts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var answers = p.GetProperty("answer_strings").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = p.GetProperty("answer_token_ids_in_context").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], m.Tokenizer.AnswerToken(prompts[i], answers[i]));
            Assert.Equal(prompts[i], m.Tokenizer.Decode(m.Tokenizer.Encode(prompts[i])));
        }
    }

    /// <summary>The task file through the model's own tokenizer: the same tokens and answers as Hugging Face's.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void The_sentiment_task_tokenizes_as_Hugging_Face_does(string model)
    {
        var p = Prompts(model);
        using var m = ModelLoader.LoadFolder(FamilyFixture.Folder(model));
        var set = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json")).BuildPrompts(m.Tokenizer);
        Assert.Equal(Ints(p.GetProperty("clean_tokens")), set.CleanTokens.Padded().Select(r => r.Select(x => (int)x).ToArray()).ToArray());
        Assert.Equal(Ints(p.GetProperty("corrupted_tokens")), set.CorruptedTokens.Padded().Select(r => r.Select(x => (int)x).ToArray()).ToArray());
        Assert.Equal(p.GetProperty("answer_token_ids_in_context").EnumerateArray().Select(e => e.GetInt32()), set.AnswerTokenIds);
        Assert.Same(m.Tokenizer, set.CleanTokens.Tokenizer);
    }
}
