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
    public static TheoryData<string> Models => new() { "tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a", "llama3" };

    /// <summary>A fixture model's folder, or a tokenizer-only fixture unpacked into a temporary folder.</summary>
    internal static string TokenizerFolder(string model)
    {
        var packed = Path.Combine(Fixtures.Root, "tokenizers", model);
        if (!Directory.Exists(packed)) return FamilyFixture.Folder(model);
        var folder = Path.Combine(Path.GetTempPath(), $"icl-tokenizer-{model}-{Environment.ProcessId}");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
        {
            Directory.CreateDirectory(folder);
            File.Copy(Path.Combine(packed, "tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"), overwrite: true);
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(packed, "tokenizer.json.gz")), System.IO.Compression.CompressionMode.Decompress);
            var temp = Path.Combine(folder, $"tokenizer.json.{Guid.NewGuid():N}");
            using (var output = File.Create(temp)) gz.CopyTo(output);
            File.Move(temp, Path.Combine(folder, "tokenizer.json"), overwrite: true);
        }
        return folder;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_hard_string_gets_Hugging_Face_ids(string model)
    {
        var golden = Fixtures.Json(Path.Combine(Fixtures.Root, "tokenizers", "hard-strings.json"));
        var strings = golden.GetProperty("strings").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = golden.GetProperty("ids").GetProperty(model).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var tokenizer = HfTokenizer.Load(TokenizerFolder(model), prependBos: false);
        var wrong = strings.Select((s, i) => (s, i)).Where(x => !tokenizer.Encode(x.s).SequenceEqual(expected[x.i]))
            .Select(x => $"'{x.s}': ours [{string.Join(", ", tokenizer.Encode(x.s))}], Hugging Face [{string.Join(", ", expected[x.i])}]").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {strings.Length} strings differ:\n{string.Join("\n", wrong)}");
    }
}
