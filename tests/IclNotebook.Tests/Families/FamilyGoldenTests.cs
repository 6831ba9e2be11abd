using IclNotebook.Patching;
using IclNotebook.Tests.Model;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Families;

/// <summary>
/// GPT-NeoX, Llama, Qwen2 (TransformerLens v2.12.0's goldens), Llama 3 and Qwen3 (v2.18.0's, tools/tl-goldens) checkpoints,
/// each converted from its own Hugging Face format, against TransformerLens on the same weights, both processings: every
/// cached hook (names, order, shapes, values), the logits at each prompt's last real token and the baselines (the patching
/// results: <see cref="FamilyPatchingTests"/>).
/// </summary>
public class FamilyGoldenTests(FamilyFixture fixture, ITestOutputHelper output) : IClassFixture<FamilyFixture>
{
    [Theory]
    [MemberData(nameof(FamilyFixture.All), MemberType = typeof(FamilyFixture))]
    public void Every_cached_hook_matches_TransformerLens(string model, string processing)
    {
        var golden = FamilyFixture.Golden(model, processing);
        using var tokens = FamilyFixture.Tokens(model, "clean").ToTensor();
        var (logits, cache) = fixture.Model(model, processing).RunWithCache(tokens);
        using var _ = cache;
        logits.Dispose();
        var (sum, sumSq, sample) = HookGoldens.AssertCacheMatches(golden, cache);
        output.WriteLine($"{model} {processing}: {cache.Count} hooks; worst sum deviation {sum:F3} of tolerance, sumsq {sumSq:F3}, worst sample |diff| {sample:E2}");
    }

    [Theory]
    [MemberData(nameof(FamilyFixture.All), MemberType = typeof(FamilyFixture))]
    public void Logits_at_the_last_real_token_and_baselines_match(string model, string processing)
    {
        var golden = FamilyFixture.Golden(model, processing);
        var setup = fixture.Setup(model, processing);
        foreach (var (which, batch) in new[] { ("clean", setup.Clean), ("corrupted", setup.Corrupted) })
        {
            var expected = golden.GetProperty("final_logits").GetProperty($"{which}_true_last");
            using var scope = NewDisposeScope();
            var read = setup.Model.Run(batch.ToTensor(), new IclNotebook.Model.ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(CPU) }); // [batch, d_vocab]
            var logSoftmax = read.log_softmax(-1);
            var ids = setup.Metric.AnswerIds; // label_logits[b][j] is prompt b's logit of query j's answer
            var labels = expected.GetProperty("label_logits").EnumerateArray().Select(Fixtures.Doubles).ToArray();
            var labelLogSoftmax = expected.GetProperty("label_log_softmax").EnumerateArray().Select(Fixtures.Doubles).ToArray();
            var argmax = expected.GetProperty("argmax").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var max = Fixtures.Doubles(expected.GetProperty("max_logit"));
            var lse = Fixtures.Doubles(expected.GetProperty("logsumexp"));
            for (int b = 0; b < labels.Length; b++)
            {
                string where = $"{model} {processing} {which} prompt {b}";
                TensorAssert.Close(labels[b], ids.Select(id => read[b, id].item<float>()).ToArray(), 1e-4, $"{where}: label logits");
                TensorAssert.Close(labelLogSoftmax[b], ids.Select(id => logSoftmax[b, id].item<float>()).ToArray(), 1e-4,
                    $"{where}: label log-probs");
                Assert.Equal(argmax[b], read[b].argmax().item<long>());
                Assert.Equal(max[b], read[b].max().item<float>(), 1e-4);
                Assert.Equal(lse[b], read[b].logsumexp(0).item<float>(), 1e-4);
            }
        }
        var metric = golden.GetProperty("metric");
        Assert.Equal(metric.GetProperty("clean_baseline").GetDouble(), setup.CleanBaseline, 1e-4);
        Assert.Equal(metric.GetProperty("corrupted_baseline").GetDouble(), setup.CorruptedBaseline, 1e-4);
    }
}
