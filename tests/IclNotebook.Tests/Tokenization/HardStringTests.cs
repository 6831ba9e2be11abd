using IclNotebook.Tests.Families;
using IclNotebook.Tokenization.HuggingFace;

namespace IclNotebook.Tests.Tokenization;

/// <summary>
/// Hard strings (spaces, newlines, tabs, digits, contractions, accents, CJK, emoji, special-token
/// text, combining marks) through each fixture tokenizer.json, against the ids Hugging Face's own
/// implementation gives (tests/fixtures/tokenizers/hard-strings.json, made by
/// tools/tokenizer-goldens/make-goldens.mjs).
/// </summary>
public class HardStringTests
{
    public static TheoryData<string> Models => new() { "tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_hard_string_gets_Hugging_Face_ids(string model)
    {
        var golden = Fixtures.Json(Path.Combine(Fixtures.Root, "tokenizers", "hard-strings.json"));
        var strings = golden.GetProperty("strings").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = golden.GetProperty("ids").GetProperty(model).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var tokenizer = HfTokenizer.Load(FamilyFixture.Folder(model), prependBos: false);
        var wrong = strings.Select((s, i) => (s, i)).Where(x => !tokenizer.Encode(x.s).SequenceEqual(expected[x.i]))
            .Select(x => $"'{x.s}': ours [{string.Join(", ", tokenizer.Encode(x.s))}], Hugging Face [{string.Join(", ", expected[x.i])}]").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {strings.Length} strings differ:\n{string.Join("\n", wrong)}");
    }
}
