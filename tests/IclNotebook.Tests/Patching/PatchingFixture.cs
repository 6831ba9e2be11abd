using System.Text.Json;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Tests.Model;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// The fixture prompts set up the way the goldens were computed: the original notebook's
/// (colab-exact) corrupted prompts and its <c>logits[:, -1]</c> metric, for both processings.
/// </summary>
public sealed class PatchingFixture : IDisposable
{
    private readonly ModelFixture _models = new();
    private readonly Dictionary<string, PatchingSetup> _setups = new();

    public PatchingSetup GoldenSetup(string processing)
    {
        lock (_setups)
        {
            if (_setups.TryGetValue(processing, out var s)) return s;
            var golden = Fixtures.Json(Fixtures.Golden(processing));
            var tokens = golden.GetProperty("tokens");
            var answers = golden.GetProperty("expected_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var clean = Batch(tokens, "clean");
            var corrupted = Batch(tokens, "corrupted");
            var model = _models.Get(ModelFixture.Parse(processing));
            return _setups[processing] = PatchingSetup.Create(model, clean, corrupted, AnswerMetric.AtLastColumn(clean.MaxLength, answers));
        }
    }

    public HookedTransformer Model(string processing) => _models.Get(ModelFixture.Parse(processing));

    private static TokenBatch Batch(JsonElement tokens, string which)
    {
        var rows = Fixtures.LongRows(tokens.GetProperty(which));
        var lengths = tokens.GetProperty($"{which}_lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return new TokenBatch(rows.Select((r, i) => r.Take(lengths[i]).Select(x => (int)x).ToArray()).ToArray(), Gpt2Tokenizer.EndOfText);
    }

    /// <summary>A golden patching result: shape and row-major values.</summary>
    public static (long[] Shape, double[] Values) Golden(string processing, string group, string target) =>
        Golden(Fixtures.Json(Fixtures.Golden(processing)), group, target);

    /// <summary>A golden patching result of any golden file: shape and row-major values.</summary>
    public static (long[] Shape, double[] Values) Golden(JsonElement file, string group, string target)
    {
        var g = file.GetProperty(group).GetProperty(target);
        var shape = g.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        return (shape, Flatten(g.GetProperty("values")).ToArray());
    }

    private static IEnumerable<double> Flatten(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(Flatten) : [Fixtures.Number(e)];

    public void Dispose()
    {
        foreach (var s in _setups.Values) s.Dispose();
        _models.Dispose();
    }
}
