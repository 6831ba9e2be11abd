using IclNotebook.Heads;

namespace IclNotebook.Tests.Heads;

/// <summary>On a model whose heads were built to be a previous-token, a duplicate-token and an induction head, the detector and the induction benchmark name exactly those heads.</summary>
public sealed class PlantedHeadTests : IDisposable
{
    private readonly IclNotebook.Model.HookedTransformer _model = PlantedModels.Create();

    public void Dispose() => _model.Dispose();

    /// <summary>BOS (token 0) + a random sequence of 15 tokens from 1..23 + the same again.</summary>
    private static int[] Repeated()
    {
        var rng = new Random(3);
        var r = Enumerable.Range(0, 15).Select(_ => rng.Next(1, PlantedModels.Vocab)).ToArray();
        return [0, .. r, .. r];
    }

    [Theory]
    [InlineData("previous_token_head", 0, 0)]
    [InlineData("duplicate_token_head", 0, 1)]
    [InlineData("induction_head", 1, 0)]
    public void The_detector_singles_out_the_head_built_for_the_pattern(string pattern, int layer, int head)
    {
        var tokens = Repeated();
        var kind = HeadPatternNames.Parse(pattern);
        var scores = HeadDetector.DetectHead(_model, tokens, kind, new HeadDetectorOptions { ExcludeBos = true });
        var top = scores.Top(2);
        Assert.Equal((layer, head), (top[0].Layer, top[0].Head));
        // mul divides by all of a head's attention, so rows where the pattern has nothing to attend to
        // (the first copy, for duplicates and induction) cap the score at the share of rows that do.
        var p = DetectionPatterns.For(kind, tokens);
        double reachable = Enumerable.Range(1, tokens.Length - 1).Count(i => Enumerable.Range(1, i).Any(j => p[i, j] == 1)) / (double)(tokens.Length - 1);
        Assert.True(top[0].Score > 0.8 * reachable, $"{pattern}: the planted head scores {top[0].Score:F3} of a reachable {reachable:F3}");
        Assert.True(top[1].Score < 0.5 * top[0].Score, $"{pattern}: runner-up L{top[1].Layer}H{top[1].Head} scores {top[1].Score:F3}");
    }

    [Fact]
    public void The_prefix_matching_score_singles_out_the_induction_head()
    {
        var scores = InductionBenchmark.PrefixMatching(_model, length: 15, seed: 1);
        var top = scores.Top(2);
        Assert.Equal((1, 0), (top[0].Layer, top[0].Head));
        // A perfect induction head splits its attention evenly when the current token occurred more than
        // once before (random tokens repeat within the sequence): its score is the mean of 1 / candidates.
        var t = scores.Tokens;
        double ideal = Enumerable.Range(16, 15).Average(i =>
        {
            var candidates = Enumerable.Range(1, i).Where(j => t[j - 1] == t[i]).ToList();
            return candidates.Contains(i - 14) ? 1.0 / candidates.Count : 0;
        });
        Assert.True(top[0].Score > 0.8 * ideal && top[1].Score < 0.2 * top[0].Score, $"{top[0].Score:F3} (a perfect head: {ideal:F3}) vs runner-up {top[1].Score:F3}");
    }
}
