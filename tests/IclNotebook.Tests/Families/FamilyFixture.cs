using System.Text.Json;
using IclNotebook.Loading;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Families;

/// <summary>
/// The family fixtures (tests/fixtures/models/tiny-{neox,llama,qwen2}-a, in their Hugging Face
/// formats; tiny-llama3-a is tiny-llama-a's files under a config with Llama 3's scaled rope; tiny-qwen3-a is written at
/// test time, <see cref="SeededCheckpoints"/>) loaded both ways, with their TransformerLens goldens and the prompts' token
/// ids as TL's to_tokens made them; shared by the family tests.
/// </summary>
public sealed class FamilyFixture : IDisposable
{
    public static TheoryData<string, string> All => new()
    {
        { "tiny-neox-a", "processed" }, { "tiny-neox-a", "raw" },
        { "tiny-llama-a", "processed" }, { "tiny-llama-a", "raw" },
        { "tiny-qwen2-a", "processed" }, { "tiny-qwen2-a", "raw" },
        { "tiny-llama3-a", "processed" }, { "tiny-llama3-a", "raw" },   // TL 2.18's llama3 rope (tools/tl-goldens/llama3_rope.py)
        { "tiny-qwen3-a", "processed" }, { "tiny-qwen3-a", "raw" },     // q/k norms, explicit head_dim (tools/tl-goldens/qwen3_qk_norm.py)
        { "tiny-gptj-a", "processed" }, { "tiny-gptj-a", "raw" },       // one LayerNorm for both branches, adjacent pairs (gptj.py)
        { "tiny-phi3-a", "processed" }, { "tiny-phi3-a", "raw" },       // fused qkv and gate_up projections (phi3.py)
        { "tiny-gemma2-a", "processed" }, { "tiny-gemma2-a", "raw" },   // post norms, soft caps, a sliding window (gemma2.py)
        { "tiny-gemma3-a", "processed" }, { "tiny-gemma3-a", "raw" },   // q/k norms, local and global rope bases (gemma3.py)
        { "tiny-olmo2-a", "processed" }, { "tiny-olmo2-a", "raw" },     // no TL: a float64 forward of HF's definition (olmo2.py)
    };

    private readonly Dictionary<(string, string), HookedTransformer> _models = new();
    private readonly Dictionary<(string, string), PatchingSetup> _setups = new();

    private static readonly Dictionary<string, string> Written = new(StringComparer.Ordinal);

    /// <summary>The fixture's folder: committed, or (<see cref="SeededCheckpoints"/>) written once per test run into a temporary folder.</summary>
    public static string Folder(string model)
    {
        if (!SeededCheckpoints.Has(model)) return Path.Combine(Fixtures.Root, "models", model);
        lock (Written)
        {
            if (Written.TryGetValue(model, out var folder)) return folder;
            var root = Path.Combine(Path.GetTempPath(), $"icl-tests-{Environment.ProcessId}");
            if (Written.Count == 0)                                                    // the first one written: delete them all at exit
                AppDomain.CurrentDomain.ProcessExit += (_, _) => { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); };
            folder = Path.Combine(root, model);
            var meta = Golden(model, "raw").GetProperty("meta");                 // the seed and digest the goldens were made with
            string digest = SeededCheckpoints.Write(model, folder, meta.GetProperty("checkpoint_seed").GetUInt64());
            string expected = meta.GetProperty("checkpoint_sha256").GetString()!;
            if (digest != expected)
                throw new InvalidOperationException($"{model}: the checkpoint written here (sha256 {digest}) is not the one its goldens were " +
                    $"made from ({expected}); the recipe in SeededCheckpoints and its Python twin in tools/tl-goldens differ.");
            return Written[model] = folder;
        }
    }

    public static JsonElement Golden(string model, string processing) =>
        Fixtures.Json(Path.Combine(Fixtures.Root, "goldens", "families", $"{model}-{processing}.json"));

    public HookedTransformer Model(string model, string processing)
    {
        lock (_models)
        {
            if (!_models.TryGetValue((model, processing), out var m))
                _models[(model, processing)] = m = ModelLoader.LoadFolder(Folder(model), processing == "raw" ? WeightProcessing.Raw : WeightProcessing.Default);
            return m;
        }
    }

    /// <summary>The golden's clean or corrupted batch: real ids (padding cut off) and the family's pad id.</summary>
    public static TokenBatch Tokens(string model, string which)
    {
        var tokens = Golden(model, "raw").GetProperty("tokens");
        var lengths = tokens.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var rows = Fixtures.LongRows(tokens.GetProperty(which));
        int pad = (int)rows[Array.IndexOf(lengths, lengths.Min())][^1];
        return new TokenBatch(rows.Select((r, i) => r.Take(lengths[i]).Select(x => (int)x).ToArray()).ToArray(), pad);
    }

    /// <summary>Clean vs corrupted with the goldens' metric: the answer's log-prob at each prompt's last real token.</summary>
    public PatchingSetup Setup(string model, string processing)
    {
        lock (_setups)
        {
            if (_setups.TryGetValue((model, processing), out var s)) return s;
            var answers = Golden(model, processing).GetProperty("answer_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var clean = Tokens(model, "clean");
            return _setups[(model, processing)] = PatchingSetup.Create(Model(model, processing), clean, Tokens(model, "corrupted"),
                AnswerMetric.AtLastRealToken(clean.Lengths, answers));
        }
    }

    public void Dispose()
    {
        foreach (var s in _setups.Values) s.Dispose();
        foreach (var m in _models.Values) m.Dispose();
    }
}
