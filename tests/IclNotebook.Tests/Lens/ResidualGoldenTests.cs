using System.Text.Json;
using IclNotebook.Lens;
using IclNotebook.Tests.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Lens;

/// <summary>
/// accumulated_resid / decompose_resid / stack_head_results through logit_attrs against
/// TransformerLens (goldens/analysis: each clean prompt run alone, read at its last token), labels
/// included, both processings, 1e-4. The goldens pass stacks taken with apply_ln=True to
/// logit_attrs, which applies ln_final's scale once more: TL's own composition, reproduced here.
/// </summary>
public class ResidualGoldenTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private const double Tol = 1e-4;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var processing in new[] { "processed", "raw" })
            for (int p = 0; p < 4; p++) data.Add(processing, p);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stacks_and_logit_attributions_match_TransformerLens(string processing, int prompt)
    {
        var golden = Fixtures.Json(Fixtures.AnalysisGolden).GetProperty(processing).GetProperty("prompts")[prompt];
        var model = fixture.Get(ModelFixture.Parse(processing));
        var ids = golden.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        int answer = golden.GetProperty("answer").GetInt32(), wrong = golden.GetProperty("wrong").GetInt32();
        using var tokens = tensor(ids, [1, ids.Length]);
        var (logits, cache) = model.RunWithCache(tokens);
        using var _ = cache;
        logits.Dispose();
        var last = PosSlice.At(-1);

        using var accumulated = cache.AccumulatedResid(model, inclMid: true, applyLn: true, pos: last);
        using var decomposed = cache.DecomposeResid(model, applyLn: true, pos: last);
        using var heads = cache.StackHeadResults(model, applyLn: true, pos: last);
        foreach (var (name, stack) in new[] { ("accumulated_resid", accumulated), ("decompose_resid", decomposed), ("stack_head_results", heads) })
        {
            var g = golden.GetProperty(name);
            Assert.Equal(g.GetProperty("labels").EnumerateArray().Select(e => e.GetString()), stack.Labels);
            AssertClose(g.GetProperty("logit_attr_answer"), cache.LogitAttrs(model, stack, [answer], pos: last), $"{processing} prompt {prompt} {name} answer");
            AssertClose(g.GetProperty("logit_attr_answer_minus_wrong"), cache.LogitAttrs(model, stack, [answer], [wrong], last), $"{processing} prompt {prompt} {name} answer - wrong");
        }
    }

    private static void AssertClose(JsonElement expected, double[][] actual, string what)
    {
        TensorAssert.Close(Fixtures.Doubles(expected), actual.Select(c => c[0]).ToArray(), Tol,
            $"{what}: TransformerLens's and our attributions by component");
    }
}
