using IclNotebook.Accuracy;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Tests.Toy;

/// <summary>
/// Issue 28's proof on the shipped toy model with a dataset task in its own format (data/tasks/toy-recall-dataset.json:
/// 100 prompts sampled from a fixed colour mapping the toy never saw, each query repeating one demonstration's input):
/// accuracy rises with shots, and patching over the 100 prompts puts layer-1 (induction) heads first, with intervals
/// that exclude 0.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class ToyDatasetTaskTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly HookedTransformer _model = ModelLoader.LoadFolder(Path.Combine(AppContext.BaseDirectory, "data", "models", "toy-icl-2l"));
    private readonly IclTask _task = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "toy-recall-dataset.json"));

    public void Dispose() => _model.Dispose();

    [Fact]
    public void The_task_samples_100_recall_prompts_whose_query_repeats_a_shown_input()
    {
        Assert.Equal(100, _task.Queries.Count);
        Assert.All(Enumerable.Range(0, 100), q => Assert.Single(_task.DemosOf(q), d => d.Input == _task.Queries[q].Input));
        Assert.All(Enumerable.Range(0, 100), q => Assert.Equal(_task.Queries[q], _task.DemosOf(q).Single(d => d.Input == _task.Queries[q].Input)));
    }

    /// <summary>
    /// With k of 6 demonstrations shown, the query's own is among them with chance k / 6, and the toy answers when it is:
    /// accuracy climbs from chance-free zero shots to nearly all at 6.
    /// </summary>
    [Fact]
    public void Accuracy_rises_with_shots()
    {
        var rows = ShotsAccuracy.Measure(_model, _task, [0, 2, 4, 6]);
        foreach (var r in rows) output.WriteLine($"{r.Shots} shots: accuracy {r.Accuracy}, answer log P {r.AnswerLogProb}");
        for (int i = 1; i < rows.Count; i++) Assert.True(rows[i].Accuracy.Mean > rows[i - 1].Accuracy.Mean, $"accuracy at {rows[i].Shots} shots");
        Assert.True(rows[^1].Accuracy.Low > 0.9, $"6 shots: {rows[^1].Accuracy}");
        Assert.True(rows[0].Accuracy.High < 0.3, $"0 shots: {rows[0].Accuracy}");
    }

    /// <summary>
    /// Position by position (every prompt is 20 tokens: BOS, six 3-token demonstrations, the query), the largest effects
    /// are layer-1 heads at the query, each interval excluding 0; over all positions every layer-1 head's interval excludes
    /// 0, while the previous-token head L0H1, which acts through the induction heads' keys and not their output, has an
    /// interval that includes it.
    /// </summary>
    [Fact]
    public void Patching_over_100_prompts_puts_the_induction_heads_first_with_intervals_that_exclude_zero()
    {
        var prompts = _task.BuildPrompts(_model.Tokenizer);
        Assert.All(prompts.CleanTokens.Ids, ids => Assert.Equal(20, ids.Length));
        using var setup = PatchingSetup.Create(_model, prompts);
        var byPos = new FastEngine().Run(setup, PatchTargets.HeadOutByPos);
        var byPosIntervals = byPos.Intervals();
        foreach (var e in byPos.Largest(4)) output.WriteLine($"by position {e.Where}: {byPosIntervals[byPos.Flat(e.Index)]}");
        Assert.All(byPos.Largest(2), e =>
        {
            Assert.Equal(1, e.Layer);
            Assert.Equal(19, e.Pos);
            Assert.True(byPosIntervals[byPos.Flat(e.Index)].ExcludesZero, $"{e.Where}: {byPosIntervals[byPos.Flat(e.Index)]}");
        });
        var all = new FastEngine().Run(setup, PatchTargets.HeadOutAllPos);
        var intervals = all.Intervals();
        foreach (var e in all.Largest(8)) output.WriteLine($"all positions {e.Where}: {intervals[all.Flat(e.Index)]}");
        Assert.All(Enumerable.Range(0, 4), h => Assert.True(intervals[all.Flat([1, h])].ExcludesZero, $"L1H{h}: {intervals[all.Flat([1, h])]}"));
        Assert.False(intervals[all.Flat([0, 1])].ExcludesZero, $"L0H1: {intervals[all.Flat([0, 1])]}");
    }
}
