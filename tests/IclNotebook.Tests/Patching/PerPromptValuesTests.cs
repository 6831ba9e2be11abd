using IclNotebook.Metrics;
using IclNotebook.Patching;
using IclNotebook.Statistics;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// Every patching result keeps each prompt's metric (issue 28): a cell's value is the mean of its stored per-prompt values,
/// the intervals are of the normalised statistic the heatmap shows, attribution's per-prompt estimates are each prompt's own
/// linear estimate, and shards and files keep them.
/// </summary>
public class PerPromptValuesTests
{
    internal static PatchingSetup Setup(IclNotebook.Model.HookedTransformer model, IReadOnlyList<int>? only = null)
    {
        var rng = new Random(5);
        var clean = new List<int[]>();
        var corrupted = new List<int[]>();
        for (int b = 0; b < 5; b++)
        {
            var ids = Enumerable.Range(0, 6 + b % 3).Select(_ => rng.Next(model.Config.DVocab)).ToArray();
            var bad = (int[])ids.Clone();
            bad[1 + b % 3] = rng.Next(model.Config.DVocab);
            clean.Add(ids);
            corrupted.Add(bad);
        }
        var answers = Enumerable.Range(0, 5).Select(_ => rng.Next(model.Config.DVocab)).ToArray();
        var keep = only ?? Enumerable.Range(0, 5).ToArray();
        var cleanBatch = new TokenBatch(keep.Select(i => clean[i]).ToArray(), 0);
        return PatchingSetup.Create(model, cleanBatch, new TokenBatch(keep.Select(i => corrupted[i]).ToArray(), 0),
            AnswerMetric.AtLastRealToken(cleanBatch.Lengths, keep.Select(i => answers[i]).ToArray()));
    }

    [Fact]
    public void Each_cell_is_the_mean_of_its_prompts_and_its_interval_is_of_the_normalised_value()
    {
        using var model = RandomModels.Create(3, 2, 2, "llama");
        using var setup = Setup(model);
        foreach (var result in new[]
        {
            new ReferenceEngine().Run(setup, PatchTargets.ResidPre),
            new FastEngine().Run(setup, PatchTargets.AttnHeadAllPosEvery),
            AttributionPatching.Run(setup, [PatchTargets.AttnHeadAllPosEvery])[0],
        })
        {
            Assert.Equal(result.Values.Count, result.PerPrompt!.Count);
            for (int c = 0; c < result.Values.Count; c++)
            {
                Assert.Equal(5, result.PerPrompt[c].Count);
                Assert.Equal(result.PerPrompt[c].Average(), result.Values[c], 1e-12);
            }
            Assert.Equal(setup.CleanPerPrompt, result.CleanPerPrompt);
            var intervals = result.Intervals(new Bootstrap(Resamples: 200));
            for (int c = 0; c < result.Values.Count; c++)
            {
                Assert.Equal(result.Normalised[c], intervals[c].Mean, 9);
                Assert.True(intervals[c].Low <= intervals[c].High);
            }
        }
    }

    /// <summary>Attribution's estimate for prompt b equals the estimate of a run on prompt b alone.</summary>
    [Fact]
    public void Attributions_per_prompt_estimates_are_each_prompts_own()
    {
        using var model = RandomModels.Create(4, 2, 2, "gpt2");
        using var all = Setup(model);
        var whole = AttributionPatching.Run(all, [PatchTargets.AttnHeadAllPosEvery])[0];
        for (int b = 0; b < 5; b++)
        {
            using var one = Setup(model, [b]);
            var alone = AttributionPatching.Run(one, [PatchTargets.AttnHeadAllPosEvery])[0];
            TensorAssert.Close(alone.Values, whole.PerPrompt!.Select(p => p[b]).ToArray(), 1e-5, $"prompt {b} alone vs in the batch");
        }
    }

    [Fact]
    public void Shards_and_files_keep_every_prompts_values()
    {
        using var model = RandomModels.Create(6, 2, 2, "gpt2");
        using var setup = Setup(model);
        var set = PatchTargetSet.Of(PatchTargets.ResidPre);
        var whole = new FastEngine().Run(setup, set);
        var merged = PatchResult.Merge(Enumerable.Range(0, 3).Select(k =>
            PatchResultShard.FromJson(System.Text.Json.JsonDocument.Parse(new FastEngine().RunShard(setup, set, new PatchShard(k, 3)).ToJson()).RootElement,
                $"shard {k}")).ToList());
        var read = PatchResult.FromJson(merged.ToJson(), "merged");
        Assert.Equal(whole.PerPrompt!.SelectMany(p => p), read.PerPrompt!.SelectMany(p => p));
        Assert.Equal(whole.CorruptedPerPrompt, read.CorruptedPerPrompt);
        Assert.Equal(whole.Intervals(), read.Intervals());
    }
}
