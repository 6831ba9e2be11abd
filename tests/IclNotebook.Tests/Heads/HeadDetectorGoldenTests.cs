using IclNotebook.Heads;
using IclNotebook.Tests.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Heads;

/// <summary>TL's detect_head for its three patterns x exclude_bos x both error measures on a repeated random sequence, both processings, 1e-4.</summary>
public class HeadDetectorGoldenTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private const double Tol = 1e-4;

    public static TheoryData<string, string, bool, string> Cases()
    {
        var data = new TheoryData<string, string, bool, string>();
        foreach (var processing in new[] { "processed", "raw" })
            foreach (var pattern in new[] { "previous_token_head", "duplicate_token_head", "induction_head" })
                foreach (var bos in new[] { false, true })
                    foreach (var measure in new[] { "mul", "abs" })
                        data.Add(processing, pattern, bos, measure);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_match_TransformerLens(string processing, string pattern, bool excludeBos, string measure)
    {
        var golden = Fixtures.Json(Fixtures.AnalysisGolden).GetProperty(processing).GetProperty("head_detector");
        var tokens = golden.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var want = golden.GetProperty($"{pattern}|exclude_bos={(excludeBos ? "True" : "False")}|{measure}");
        var options = new HeadDetectorOptions { ExcludeBos = excludeBos, ErrorMeasure = measure == "mul" ? ErrorMeasure.Mul : ErrorMeasure.Abs };

        var scores = HeadDetector.DetectHead(fixture.Get(ModelFixture.Parse(processing)), tokens, HeadPatternNames.Parse(pattern), options);

        Assert.Equal(pattern, scores.Name);
        var expected = Enumerable.Range(0, scores.Layers)
            .SelectMany(l => Enumerable.Range(0, scores.Heads).Select(h => want[l][h].GetDouble())).ToArray();
        using var theirs = tensor(expected, [scores.Layers, scores.Heads]);
        using var ours = tensor(scores.Values.SelectMany(row => row).ToArray(), [scores.Layers, scores.Heads]);
        TensorAssert.Close(theirs, ours, Tol, "TransformerLens's and our scores by [layer, head]");
    }
}
