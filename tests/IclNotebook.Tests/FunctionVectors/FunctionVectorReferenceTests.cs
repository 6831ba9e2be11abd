using IclNotebook.FunctionVectors;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Tests.Families;
using IclNotebook.Tests.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Tests.FunctionVectors;

/// <summary>
/// The batched function-vector computation against a straightforward reference written from the
/// protocol's definition — one prompt, one head, one hook, one full forward at a time — on seeded
/// random models of each family, the GPT-2 fixture and the family fixtures (1e-5).
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public class FunctionVectorReferenceTests(ModelFixture gpt2, FamilyFixture families) : IClassFixture<ModelFixture>, IClassFixture<FamilyFixture>
{
    private const double Tol = 1e-5;

    public static TheoryData<string> Models() => new() { "random-gpt2", "random-neox", "random-llama", "tiny-gpt2-a", "tiny-neox-a", "tiny-llama-a", "tiny-qwen2-a" };

    private (HookedTransformer Model, TokenBatch Clean, TokenBatch Corrupted, int[] Answers, bool Owned) Load(string name)
    {
        if (name.StartsWith("random-", StringComparison.Ordinal))
        {
            var model = RandomModels.Create(5, layers: 2, heads: 4, name["random-".Length..]);
            var rng = new Random(17);
            int[] Row(int len) => Enumerable.Range(0, len).Select(_ => rng.Next(model.Config.DVocab)).ToArray();
            var clean = new[] { Row(9), Row(7), Row(11) };
            var corrupted = clean.Select(r => r.Select((t, i) => i % 3 == 1 ? rng.Next(model.Config.DVocab) : t).ToArray()).ToArray();
            return (model, new TokenBatch(clean, 0), new TokenBatch(corrupted, 0), [3, 50, 96], true);
        }
        if (name == "tiny-gpt2-a")
        {
            var prompts = Fixtures.Json(Fixtures.Prompts);
            var golden = Fixtures.Json(Fixtures.Golden("raw")).GetProperty("tokens");
            var lengths = golden.GetProperty("clean_lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            TokenBatch Batch(string which) => new(Fixtures.LongRows(golden.GetProperty(which)).Select((r, i) => r.Take(lengths[i]).Select(x => (int)x).ToArray()).ToArray(), 50256);
            var answers = prompts.GetProperty("expected_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            return (gpt2.Get(WeightProcessing.Default), Batch("clean"), Batch("corrupted"), answers, false);
        }
        var familyAnswers = FamilyFixture.Golden(name, "processed").GetProperty("answer_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (families.Model(name, "processed"), FamilyFixture.Tokens(name, "clean"), FamilyFixture.Tokens(name, "corrupted"), familyAnswers, false);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Batched_indirect_effects_equal_one_head_at_a_time(string name)
    {
        var (model, clean, corrupted, answers, owned) = Load(name);
        try
        {
            using var scope = NewDisposeScope();
            var means = HeadMeans.AtLastToken(model, clean);
            var referenceMeans = ReferenceIndirectEffects.HeadMeans(model, clean);
            TensorAssert.Close(referenceMeans, means, Tol, "mean head outputs");
            // Streamed one prompt at a time (a budget below any prompt's length), as many prompts are: the same numbers.
            TensorAssert.Close(referenceMeans, HeadMeans.AtLastToken(model, clean, batchTokens: 1), Tol, "mean head outputs, one prompt per run");

            var (patched, perPrompt, unpatched) = IndirectEffects.Run(model, corrupted, answers, referenceMeans, batchTokens: 1);
            int heads = model.Config.NHeads;
            for (int b = 0; b < corrupted.Count; b++)
            {
                Assert.Equal(ReferenceIndirectEffects.Probability(model, corrupted.Ids[b], answers[b]), unpatched[b], Tol);
                var ids = corrupted.Ids[b];
                var want = Enumerable.Range(0, model.Config.NLayers * heads).Select(i => (Layer: i / heads, Head: i % heads))
                    .Select(x => ReferenceIndirectEffects.Probability(model, ids, answers[b], x.Layer, x.Head, referenceMeans[x.Layer, x.Head]))
                    .ToArray();
                TensorAssert.Close(tensor(want, [model.Config.NLayers, heads]), tensor(perPrompt[b], [model.Config.NLayers, heads]), Tol,
                    $"{name} prompt {b}: reference and batched probabilities by [layer, head]");
            }
            Assert.Equal(perPrompt.Average(r => r[1]), patched[1], 1e-12);
        }
        finally
        {
            if (owned) model.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_vector_and_the_zero_shot_test_equal_their_definitions(string name)
    {
        var (model, clean, _, answers, owned) = Load(name);
        try
        {
            using var scope = NewDisposeScope();
            var means = HeadMeans.AtLastToken(model, clean);
            var heads = new List<(int, int)> { (model.Config.NLayers - 1, 1), (0, 2), (0, 0) };
            var vector = FunctionVector.Build(model, means, heads);
            using var weights = model.Weights();
            var expected = zeros(model.Config.DModel);
            foreach (var (l, h) in heads)
                for (int e = 0; e < model.Config.DHead; e++)
                    expected = expected.add(weights.W_O[l, h, e].mul(means[l, h, e]));            // Σ_e z_e W_O[e, :]
            TensorAssert.Close(expected, vector.ToTensor(CPU), Tol, "the function vector and Σ mean z · W_O");

            var prompts = new TokenBatch(clean.Ids.Select(r => r[..Math.Min(r.Length, 5)]).ToArray(), clean.PadId);
            var results = ZeroShot.Evaluate(model, prompts, answers, vector, Enumerable.Range(0, model.Config.NLayers).ToList());
            foreach (var r in results)
            {
                var with = prompts.Ids.Select((ids, b) => ReferenceZeroShot(model, ids, answers[b], r.Layer, vector)).ToList();
                var without = prompts.Ids.Select((ids, b) => ReferenceZeroShot(model, ids, answers[b], null, vector)).ToList();
                Assert.Equal(with.Average(x => x.P), r.ProbabilityWith, Tol);
                Assert.Equal(without.Average(x => x.P), r.ProbabilityWithout, Tol);
                Assert.Equal(with.Average(x => x.Top1 ? 1.0 : 0.0), r.AccuracyWith, 12);
                Assert.Equal(without.Average(x => x.Top1 ? 1.0 : 0.0), r.AccuracyWithout, 12);
            }
        }
        finally
        {
            if (owned) model.Dispose();
        }
    }

    private static (double P, bool Top1) ReferenceZeroShot(HookedTransformer model, int[] ids, int answer, int? layer, FunctionVector vector)
    {
        using var scope = NewDisposeScope();
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        var fv = vector.ToTensor(CPU);
        Tensor logits;
        if (layer is { } l)
        {
            using var hooks = model.Hooks((HookName.ResidPost(l), (act, _) =>
            {
                var x = act.clone();                                     // [1, pos, d_model]
                x[0, ids.Length - 1] = x[0, ids.Length - 1].add(fv);
                return x;
            }));
            logits = model.Run(tokens);
        }
        else logits = model.Run(tokens);
        var row = logits[0, ids.Length - 1];
        return (row.to(float64).softmax(0)[answer].item<double>(), row.argmax().item<long>() == answer);
    }
}
