using IclNotebook.Statistics;

namespace IclNotebook.Tests.Statistics;

/// <summary>The bootstrap intervals (issue 28): they cover the true mean about as often as they claim, and are reproducible.</summary>
public class BootstrapTests
{
    private static double[] Draw(Random rng, int n, Func<Random, double> sample) => Enumerable.Range(0, n).Select(_ => sample(rng)).ToArray();

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>
    /// 400 seeded repetitions of 60 prompts each: a normal metric (mean 0.3) and a skewed one (exponential, mean 1). The
    /// percentile bootstrap of a mean covers slightly under its level at small n; 0.90-0.98 is about four binomial sigmas.
    /// </summary>
    [Theory]
    [InlineData("normal")]
    [InlineData("exponential")]
    public void The_95_percent_interval_covers_the_true_mean_about_95_percent_of_the_time(string distribution)
    {
        var rng = new Random(12345);
        Func<Random, double> sample = distribution == "normal" ? r => 0.3 + Normal(r) : r => -Math.Log(1 - r.NextDouble());
        double truth = distribution == "normal" ? 0.3 : 1.0;
        int covered = 0, repetitions = 400;
        for (int k = 0; k < repetitions; k++)
        {
            var interval = new Bootstrap(Resamples: 1000, Seed: k).Mean(Draw(rng, 60, sample));
            if (interval.Low <= truth && truth <= interval.High) covered++;
        }
        double coverage = (double)covered / repetitions;
        Assert.InRange(coverage, 0.90, 0.98);
    }

    [Fact]
    public void The_reported_statistic_is_the_one_on_all_prompts_and_a_seed_fixes_the_interval()
    {
        var rng = new Random(3);
        var clean = Draw(rng, 40, r => 2 + Normal(r));
        var corrupted = Draw(rng, 40, r => Normal(r));
        var patched = Draw(rng, 40, r => 1 + Normal(r));
        var a = new Bootstrap(Seed: 5).Ratio(patched, clean, corrupted);
        Assert.Equal((patched.Average() - corrupted.Average()) / (clean.Average() - corrupted.Average()), a.Mean, 12);
        Assert.Equal(a, new Bootstrap(Seed: 5).Ratio(patched, clean, corrupted));
        Assert.NotEqual(a, new Bootstrap(Seed: 6).Ratio(patched, clean, corrupted));
        Assert.True(a.Low < a.Mean && a.Mean < a.High);
        Assert.Equal(patched.Average(), new Bootstrap().Mean(patched).Mean, 12);
    }

    [Fact]
    public void An_effect_far_from_zero_excludes_it_and_noise_does_not()
    {
        var rng = new Random(9);
        Assert.True(new Bootstrap().Mean(Draw(rng, 100, r => 1 + 0.5 * Normal(r))).ExcludesZero);
        Assert.False(new Bootstrap().Mean(Draw(rng, 100, r => 0.01 * Normal(r) + (r.NextDouble() < 0.5 ? -1 : 1))).ExcludesZero);
    }
}
