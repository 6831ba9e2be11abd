using IclNotebook.Generation;

namespace IclNotebook.Tests.Generation;

public class TokenSamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.0f, 3.0f, -1.0f];   // tokens 1 and 3 tie for the top

    [Fact]
    public void Greedy_takes_the_first_most_likely_token_as_argmax_does()
    {
        Assert.Equal(1, new TokenSampler(SamplingOptions.Greedy).Next(Logits));
        float[] distinct = [1.0f, 3.0f, 2.0f, 2.5f];
        Assert.Equal(1, new TokenSampler(new SamplingOptions { Temperature = 1, TopK = 1, Seed = 5 }).Next(distinct));   // top-1 is greedy
        var tied = TokenSampler.Probabilities(Logits, new SamplingOptions { Temperature = 1, TopK = 1 });
        Assert.Equal([0.0, 0.5, 0.0, 0.5, 0.0], tied.Select(v => Math.Round(v, 12)).ToArray());  // ties with the k-th are kept, as Hugging Face's top-k
    }

    [Fact]
    public void A_seed_gives_the_same_draws_and_another_seed_other_ones()
    {
        int[] Draws(ulong seed)
        {
            var sampler = new TokenSampler(new SamplingOptions { Temperature = 2, Seed = seed });
            return Enumerable.Range(0, 50).Select(_ => sampler.Next(Logits)).ToArray();
        }
        Assert.Equal(Draws(7), Draws(7));
        Assert.NotEqual(Draws(7), Draws(8));
    }

    [Fact]
    public void Draws_follow_the_tempered_softmax()
    {
        var options = new SamplingOptions { Temperature = 1.5, Seed = 3 };
        var p = TokenSampler.Probabilities(Logits, options);
        var expected = Logits.Select(l => Math.Exp(l / 1.5)).ToArray();
        Assert.All(Enumerable.Range(0, p.Length), i => Assert.Equal(expected[i] / expected.Sum(), p[i], 12));
        var sampler = new TokenSampler(options);
        const int n = 40_000;
        var counts = new int[Logits.Length];
        for (int i = 0; i < n; i++) counts[sampler.Next(Logits)]++;
        Assert.All(Enumerable.Range(0, p.Length), i => Assert.True(Math.Abs(counts[i] / (double)n - p[i]) < 4 * Math.Sqrt(p[i] * (1 - p[i]) / n) + 1e-9,
            $"token {i}: {counts[i] / (double)n:F4} drawn, {p[i]:F4} expected"));
    }

    [Fact]
    public void Top_k_and_top_p_restrict_the_draw()
    {
        var topK = TokenSampler.Probabilities(Logits, new SamplingOptions { Temperature = 1, TopK = 3 });
        Assert.Equal([false, true, true, true, false], topK.Select(v => v > 0).ToArray());   // tokens 1, 2, 3 kept
        Assert.Equal(1.0, topK.Sum(), 12);
        float[] skewed = [0f, (float)Math.Log(6), (float)Math.Log(3)];                 // probabilities 0.1, 0.6, 0.3
        var nucleus = TokenSampler.Probabilities(skewed, new SamplingOptions { Temperature = 1, TopP = 0.5 });
        Assert.Equal([0.0, 1.0, 0.0], nucleus.Select(v => Math.Round(v, 12)).ToArray());     // 0.6 alone reaches 0.5
        var two = TokenSampler.Probabilities(skewed, new SamplingOptions { Temperature = 1, TopP = 0.8 });
        Assert.Equal(0.0, two[0]);                                                          // 0.6 + 0.3 reach 0.8; 0.1 goes
        Assert.Equal(2.0 / 3.0, two[1], 9);
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1, TopP = 0.5, Seed = 1 });
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(1, sampler.Next(skewed)));
    }

    [Theory]
    [InlineData(-1.0, null, null, "temperature -1")]
    [InlineData(double.NaN, null, null, "temperature NaN")]
    [InlineData(1.0, 0, null, "top-k 0")]
    [InlineData(1.0, null, 1.5, "top-p 1.5")]
    [InlineData(0.0, 5, null, "give a temperature above 0 too")]
    public void Options_out_of_range_are_refused_naming_the_value(double temperature, int? topK, double? topP, string expected)
    {
        var e = Assert.Throws<IclException>(() => new TokenSampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
