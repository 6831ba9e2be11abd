using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Tokenization;

/// <summary>TokenBatch.Chunks: the runs of prompts that stream through a pass over many prompts.</summary>
public class TokenBatchChunksTests
{
    [Fact]
    public void Runs_keep_order_cover_every_prompt_once_and_stay_within_the_budget()
    {
        var rng = new Random(3);
        var batch = new TokenBatch(Enumerable.Range(0, 37).Select(_ => Enumerable.Range(0, rng.Next(1, 30)).ToArray()).ToArray(), 0);
        foreach (int budget in new[] { 1, 29, 64, 200, 10_000 })
        {
            var runs = batch.Chunks(budget).ToList();
            Assert.Equal(Enumerable.Range(0, 37), runs.SelectMany(r => Enumerable.Range(r.Start, r.Part.Count)));
            Assert.All(runs, r => Assert.True(r.Part.Count == 1 || r.Part.Count * r.Part.MaxLength <= budget, $"budget {budget}: run at {r.Start}"));
            Assert.All(runs, r => Assert.Equal(batch.Ids.Skip(r.Start).Take(r.Part.Count), r.Part.Ids));
        }
        Assert.Single(batch.Chunks(10_000));
        Assert.Equal(37, batch.Chunks(1).Count());
    }
}
