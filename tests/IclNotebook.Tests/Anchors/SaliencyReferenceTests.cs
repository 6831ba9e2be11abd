using IclNotebook.Anchors;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Tests.Families;
using IclNotebook.Tests.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Anchors;

/// <summary>
/// The batched saliency (every layer and prompt from one backward) against the paper's own method,
/// written from its definition: one prompt and one layer at a time, the pattern multiplied by a
/// ones tensor that requires grad, whose gradient is A ⊙ ∂L/∂A; and ∂L/∂A against finite differences.
/// </summary>
public class SaliencyReferenceTests(ModelFixture gpt2, FamilyFixture families) : IClassFixture<ModelFixture>, IClassFixture<FamilyFixture>
{
    private static readonly int[] RandomRowLengths = [10, 7, 12];

    public static TheoryData<string> Models() => new() { "random-gpt2", "random-neox", "random-llama", "tiny-gpt2-a", "tiny-neox-a", "tiny-llama-a" };

    /// <summary>Qwen2's 151k vocabulary makes the one-layer-at-a-time reference take ~17 s: the full lane runs it.</summary>
    public static TheoryData<string> LargeVocabularyModels() => new() { "tiny-qwen2-a" };

    private (HookedTransformer Model, TokenBatch Prompts, int[] Answers, bool Owned) Load(string name)
    {
        if (name.StartsWith("random-", StringComparison.Ordinal))
        {
            var model = RandomModels.Create(9, layers: 2, heads: 4, name["random-".Length..]);
            var rng = new Random(23);
            var rows = RandomRowLengths.Select(n => Enumerable.Range(0, n).Select(_ => rng.Next(model.Config.DVocab)).ToArray()).ToArray();
            return (model, new TokenBatch(rows, 0), [5, 60, 90], true);
        }
        if (name == "tiny-gpt2-a")
        {
            var golden = Fixtures.Json(Fixtures.Golden("raw")).GetProperty("tokens");
            var lengths = golden.GetProperty("clean_lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var rows = Fixtures.LongRows(golden.GetProperty("clean")).Select((r, i) => r.Take(lengths[i]).Select(x => (int)x).ToArray()).ToArray();
            var answers = Fixtures.Json(Fixtures.Prompts).GetProperty("expected_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            return (gpt2.Get(WeightProcessing.Raw), new TokenBatch(rows, 50256), answers, false);
        }
        var familyAnswers = FamilyFixture.Golden(name, "raw").GetProperty("answer_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (families.Model(name, "raw"), FamilyFixture.Tokens(name, "clean"), familyAnswers, false);
    }

    [Theory]
    [Trait(Lane.Name, Lane.Full)]
    [MemberData(nameof(LargeVocabularyModels))]
    public void Batched_saliency_equals_the_reference_on_a_large_vocabulary(string name) => Batched_saliency_equals_the_papers_one_layer_at_a_time_gradient(name);

    [Theory]
    [MemberData(nameof(Models))]
    public void Batched_saliency_equals_the_papers_one_layer_at_a_time_gradient(string name)
    {
        var (model, prompts, answers, owned) = Load(name);
        try
        {
            using var scope = NewDisposeScope();
            var (saliency, loss) = Saliency.Compute(model, prompts, answers);
            for (int b = 0; b < prompts.Count; b++)
            {
                int n = prompts.Ids[b].Length;
                for (int l = 0; l < model.Config.NLayers; l++)
                {
                    var (want, wantLoss) = ReferenceSaliency.OneLayer(model, prompts.Ids[b], answers[b], l);
                    double largest = TensorAssert.MaxAbs(want);
                    TensorAssert.Close(want, saliency[l][b, ..n, ..n], 1e-5 * Math.Max(1, largest),
                        $"{name} prompt {b} layer {l}: saliencies (largest {largest:E2})");
                    Assert.Equal(wantLoss, loss[b], 1e-5);
                }
            }
        }
        finally
        {
            if (owned) model.Dispose();
        }
    }

    [Fact]
    public void The_gradient_agrees_with_finite_differences()
    {
        var (model, prompts, answers, _) = Load("tiny-gpt2-a");
        using var scope = NewDisposeScope();
        var one = new TokenBatch([prompts.Ids[3]], prompts.PadId);
        var (_, grads, loss) = Saliency.Gradients(model, one, [answers[3]]);
        int q = one.Ids[0].Length - 1;
        // A few edges: into the prediction, between demonstration tokens, from BOS; both layers, several heads.
        foreach (var (l, h, i, j) in new[] { (0, 0, q, 0), (0, 3, q, q - 1), (1, 1, q, 5), (1, 2, 40, 12), (1, 0, q, q), (0, 2, 77, 76) })
        {
            const float eps = 1e-2f;
            double plus = Loss(model, one.Ids[0], answers[3], l, h, i, j, eps), minus = Loss(model, one.Ids[0], answers[3], l, h, i, j, -eps);
            double numeric = (plus - minus) / (2 * eps);
            double analytic = grads[l][0, h, i, j].item<float>();
            Assert.True(Math.Abs(numeric - analytic) <= 2e-3 * Math.Max(1, Math.Abs(analytic)), $"L{l}H{h} ({i}, {j}): finite difference {numeric:R}, gradient {analytic:R}");
        }
        Assert.True(loss[0] > 0);
    }

    [Fact]
    public void The_saliency_changes_under_TransformerLens_weight_processing_so_it_is_computed_on_raw_weights()
    {
        var (raw, prompts, answers, _) = Load("tiny-gpt2-a");
        var processed = gpt2.Get(WeightProcessing.Default);
        using var scope = NewDisposeScope();
        var one = new TokenBatch([prompts.Ids[0]], prompts.PadId);
        var (a, lossRaw) = Saliency.Compute(raw, one, [answers[0]]);
        var (b, lossProcessed) = Saliency.Compute(processed, one, [answers[0]]);
        Assert.Equal(lossRaw[0], lossProcessed[0], 1e-4);                          // the same function ...
        double relative = a[0].sub(b[0]).abs().sum().item<float>() / a[0].abs().sum().item<float>();
        Console.WriteLine($"raw vs processed saliency: relative L1 difference {relative:P3}");
        Assert.True(relative > 1e-3, $"raw and processed saliencies differ by only {relative:P3}");   // ... but not the same dL/dA
    }

    private static double Loss(HookedTransformer model, int[] ids, int answer, int layer, int head, int i, int j, float eps)
    {
        using var scope = NewDisposeScope();
        using var tokens = tensor(ids.Select(x => (long)x).ToArray(), [1, ids.Length]);
        Tensor logits;
        using (model.Hooks((HookName.Pattern(layer), (act, _) =>
        {
            var x = act.clone();
            x[0, head, i, j] = x[0, head, i, j].add(eps);
            return x;
        })))
            logits = model.Run(tokens);
        return logits[0, ids.Length - 1].to(float64).log_softmax(0)[answer].neg().item<double>();
    }
}
