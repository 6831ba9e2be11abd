using IclNotebook.Tests.Families;
using IclNotebook.Tokenization.HuggingFace;

namespace IclNotebook.Tests.Tokenization;

/// <summary>
/// Hard strings (spaces, newlines, tabs, digits, contractions, accents, CJK, emoji, special-token
/// text, combining marks) through each fixture tokenizer.json, against the ids Hugging Face's own
/// implementation gives (tests/fixtures/tokenizers/hard-strings.json, made by
/// tools/tokenizer-goldens/make-goldens.mjs). Beside the three family fixtures, Llama 3's real
/// tokenizer (128k vocabulary, <c>ignore_merges</c>), kept gzipped under tests/fixtures/tokenizers/llama3.
/// </summary>
public class HardStringTests
{
    public static TheoryData<string> Models => new() { "tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a", "llama3", "gemma3", "cl100k" };

    /// <summary>A fixture model's folder, or a tokenizer-only fixture unpacked into <paramref name="temp"/>.</summary>
    private static string TokenizerFolder(string model, TempFolder temp)
    {
        var packed = Path.Combine(Fixtures.Root, "tokenizers", model);
        if (!Directory.Exists(packed)) return FamilyFixture.Folder(model);
        File.Copy(Path.Combine(packed, "tokenizer_config.json"), temp["tokenizer_config.json"]);
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(packed, "tokenizer.json.gz")), System.IO.Compression.CompressionMode.Decompress);
        using (var output = File.Create(temp["tokenizer.json"])) gz.CopyTo(output);
        return temp.Path;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_hard_string_gets_Hugging_Face_ids(string model)
    {
        var golden = Fixtures.Json(Path.Combine(Fixtures.Root, "tokenizers", "hard-strings.json"));
        var strings = golden.GetProperty("strings").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = golden.GetProperty("ids").GetProperty(model).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        using var temp = new TempFolder("icl-tokenizer");
        var tokenizer = HfTokenizer.Load(TokenizerFolder(model, temp), prependBos: false);
        var wrong = strings.Select((s, i) => (s, i)).Where(x => !tokenizer.Encode(x.s).SequenceEqual(expected[x.i]))
            .Select(x => $"'{x.s}': ours [{string.Join(", ", tokenizer.Encode(x.s))}], Hugging Face [{string.Join(", ", expected[x.i])}]").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {strings.Length} strings differ:\n{string.Join("\n", wrong)}");
    }
}
