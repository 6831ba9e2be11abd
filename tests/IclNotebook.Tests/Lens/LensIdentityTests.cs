using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Lens;
using IclNotebook.Tests.Families;
using IclNotebook.Tests.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Lens;

/// <summary>
/// The identities the logit lens and DLA rest on, on every family and both processings: the lens at
/// final_post is the model's own log-probs; decompose_resid and heads + remainder sum to the final
/// residual stream; with the default processing the attributions plus the unembedding bias sum to
/// the model's logit (and to the logit difference).
/// </summary>
public class LensIdentityTests(ModelFixture gpt2, FamilyFixture families) : IClassFixture<ModelFixture>, IClassFixture<FamilyFixture>
{
    public static TheoryData<string, string> Models()
    {
        var data = new TheoryData<string, string> { { "tiny-gpt2-a", "processed" }, { "tiny-gpt2-a", "raw" } };
        foreach (var row in FamilyFixture.All) data.Add((string)row[0], (string)row[1]);
        return data;
    }

    private (HookedTransformer Model, TokenBatch Tokens, int[] Answers, int[] Wrong) Load(string name, string processing)
    {
        if (name == "tiny-gpt2-a")
        {
            var prompts = Fixtures.Json(Fixtures.AnalysisGolden).GetProperty(processing).GetProperty("prompts").EnumerateArray().ToList();
            var ids = prompts.Select(p => p.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
            return (gpt2.Get(ModelFixture.Parse(processing)), new TokenBatch(ids, 50256),
                prompts.Select(p => p.GetProperty("answer").GetInt32()).ToArray(), prompts.Select(p => p.GetProperty("wrong").GetInt32()).ToArray());
        }
        var answers = FamilyFixture.Golden(name, processing).GetProperty("answer_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (families.Model(name, processing), FamilyFixture.Tokens(name, "clean"), answers, answers.Skip(1).Append(answers[0]).ToArray());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Logit_lens_at_the_last_layer_is_the_models_own_log_probs(string name, string processing)
    {
        var (model, tokens, answers, _) = Load(name, processing);
        using var input = tokens.ToTensor();
        var (logits, cache) = model.RunWithCache(input);
        using var _c = cache;
        using var _l = logits;
        var read = PosSlice.PerPrompt(tokens.LastPositions);

        var lens = LogitLens.Run(model, cache, read, answers);

        Assert.Equal("final_post", lens.Labels[^1]);
        Assert.Equal(model.Config.ParallelAttnMlp ? model.Config.NLayers + 1 : 2 * model.Config.NLayers + 1, lens.Labels.Count);
        for (int b = 0; b < tokens.Count; b++)
        {
            using var row = logits[b, tokens.LastPositions[b]].log_softmax(-1);                  // [d_vocab]
            Assert.Equal(row[answers[b]].item<float>(), lens.LogProbs[^1][b], 1e-5);
            Assert.Equal(row.argmax().item<long>(), lens.TopTokens[^1][b]);
            Assert.Equal(row.gt(row[answers[b]]).sum().item<long>(), lens.Ranks[^1][b]);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Attributions_sum_to_the_final_stream_and_with_folded_weights_to_the_logit(string name, string processing)
    {
        var (model, tokens, answers, wrong) = Load(name, processing);
        using var input = tokens.ToTensor();
        var (logits, cache) = model.RunWithCache(input);
        using var _c = cache;
        using var _l = logits;
        var read = PosSlice.PerPrompt(tokens.LastPositions);

        using var final = cache.AccumulatedResid(model, pos: read);
        using var parts = cache.DecomposeResid(model, pos: read);
        if (model.Config.PostNorms)
        {
            // Gemma 2 normalises attention's output: its heads do not add up to attn_out, so there is no per-head stack or DLA.
            using var sum = parts.Components.sum([0L]);
            TensorAssert.Close(final["final_post"], sum, 1e-4, "decompose_resid's sum and final_post");
            var refused = Assert.Throws<IclException>(() => cache.StackHeadResults(model, pos: read));
            Assert.Contains("normalises attention's output (ln1_post) before it joins the residual stream", refused.Message, StringComparison.Ordinal);
            Assert.Throws<IclException>(() => DirectLogitAttribution.Run(model, cache, read, answers));
            return;
        }
        using var heads = cache.StackHeadResults(model, inclRemainder: true, pos: read);
        using var fromParts = parts.Components.sum([0L]);
        using var fromHeads = heads.Components.sum([0L]);
        TensorAssert.Close(final["final_post"], fromParts, 1e-4, "decompose_resid's sum and final_post");
        TensorAssert.Close(final["final_post"], fromHeads, 1e-4, "heads + remainder and final_post");

        foreach (var against in new[] { null, wrong })
        {
            var dla = DirectLogitAttribution.Run(model, cache, read, answers, against);
            Assert.Equal(processing == "processed", dla.Exact);
            Assert.Equal(parts.Labels, dla.ComponentLabels);
            Assert.Equal("remainder", dla.HeadLabels[^1]);
            for (int b = 0; b < tokens.Count; b++)
            {
                double byComponent = dla.Components.Sum(c => c[b]) + dla.Bias[b];
                double byHead = dla.Heads.Sum(h => h[b]) + dla.Bias[b];
                Assert.Equal(byComponent, byHead, 1e-4);
                if (dla.Exact) Assert.Equal(dla.Logits[b], byComponent, 1e-4);
            }
        }
    }
}
