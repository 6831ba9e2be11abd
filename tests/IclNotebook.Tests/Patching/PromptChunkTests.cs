using IclNotebook.Patching;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// Runs over many prompts go through chunks of prompts with their own caches (memory flat in the number of prompts):
/// every prompt's values equal those of the whole batch at once, for each engine, sharded or not.
/// </summary>
public class PromptChunkTests
{
    [Fact]
    public void Chunked_runs_give_every_prompt_the_values_of_the_whole_batch()
    {
        using var model = RandomModels.Create(7, 2, 2, "llama");
        using var whole = PerPromptValuesTests.Setup(model);
        using var chunked = PerPromptValuesTests.Setup(model);
        chunked.CacheMemoryMb = 0;
        Assert.Equal(5, chunked.PromptRanges().Count);
        Assert.Single(whole.PromptRanges());
        var heads = PatchTargets.AttnHeadAllPosEvery;
        var resid = PatchTargetSet.Of(PatchTargets.ResidPre);
        var pairs = new (string Name, PatchResult Whole, PatchResult Chunked)[]
        {
            ("fast resid_pre", new FastEngine().Run(whole, resid), new FastEngine().Run(chunked, resid)),
            ("fast heads", new FastEngine().Run(whole, heads), new FastEngine().Run(chunked, heads)),
            ("reference resid_pre", new ReferenceEngine().Run(whole, resid), new ReferenceEngine().Run(chunked, resid)),
            ("attribution heads", AttributionPatching.Run(whole, [heads])[0], AttributionPatching.Run(chunked, [heads])[0]),
            ("three shards", new FastEngine().Run(whole, heads),
                PatchResult.Merge(Enumerable.Range(0, 3).Select(k => new FastEngine().RunShard(chunked, heads, new PatchShard(k, 3))).ToList())),
        };
        foreach (var (name, a, b) in pairs)
        {
            Assert.Equal(a.Shape, b.Shape);
            TensorAssert.Close(a.PerPrompt!.SelectMany(p => p).ToArray(), b.PerPrompt!.SelectMany(p => p).ToArray(), 1e-5, name);
            TensorAssert.Close(a.Values.ToArray(), b.Values.ToArray(), 1e-5, name);
        }
        Assert.Equal(5 * 2, pairs[3].Chunked.ForwardPasses);   // a clean and a corrupted pass per chunk
    }

    [Fact]
    public void Chunks_are_consecutive_near_equal_and_each_fits_the_budget()
    {
        using var model = RandomModels.Create(7, 2, 2, "gpt2");
        using var setup = PerPromptValuesTests.Setup(model);
        var cfg = model.Config;
        double perPrompt = 2.0 * cfg.NLayers * setup.NPos * (3.0 * cfg.DModel + Math.Max(cfg.DModel, cfg.NHeads * setup.NPos)) * 4;
        setup.CacheMemoryMb = 1;
        int fits = (int)(1024 * 1024 / perPrompt);
        Assert.True(fits >= 5, $"the random model's prompts take {perPrompt} bytes each");
        Assert.Equal([(0, 5)], setup.PromptRanges());
        setup.CacheMemoryMb = 0;
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (i, 1)), setup.PromptRanges());
        Assert.Equal([(0, 2), (2, 2), (4, 1)], PatchingSetup.Ranges(5, 2));
        Assert.Equal([(0, 3), (3, 2), (5, 2)], PatchingSetup.Ranges(7, 3));
        Assert.Equal([(0, 400)], PatchingSetup.Ranges(400, 400));
        // Attribution's gradient pass holds more per prompt, so it takes smaller chunks of the same budget.
        setup.CacheMemoryMb = 5 * perPrompt / (1024 * 1024);
        Assert.Single(setup.PromptRanges());
        Assert.True(setup.PromptRanges(AttributionPatching.ChunkWeight).Count > 1);
    }
}
