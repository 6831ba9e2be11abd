using IclNotebook.FunctionVectors;
using IclNotebook.Icl;
using IclNotebook.Icl.Datasets;
using IclNotebook.Model;
using IclNotebook.Tests.Model;

namespace IclNotebook.Tests.FunctionVectors;

/// <summary>
/// The paper's protocol on a dataset task: the heads' means over their own sampled prompts (100 in the paper), the AIE over
/// the task's (25); the batched grid equals the one-head-at-a-time reference on the same means.
/// </summary>
public class MeanPromptsTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private static IclTask Antonym(int prompts) => DatasetTask.Build(PairDataset.Load(Path.Combine(AppContext.BaseDirectory, "data", "datasets",
        "function-vectors", "abstractive", "antonym.json")), "antonym", new DatasetSampling(3, prompts, 2));

    [Fact]
    public void Means_over_their_own_prompts_give_the_reference_AIE()
    {
        var model = fixture.Get(WeightProcessing.Default);
        var task = Antonym(4);
        var options = new FunctionVectorOptions { MeanPrompts = 12, TopHeads = 2 };
        var meanTokens = FunctionVectorAnalysis.MeanPromptTokens(task, options, model.Tokenizer)!;
        Assert.Equal(12, meanTokens.Count);
        Assert.DoesNotContain(meanTokens.Ids, ids => task.BuildPrompts(model.Tokenizer).CleanTokens.Ids.Any(c => c.SequenceEqual(ids)));
        var result = FunctionVectorAnalysis.Run(model, task, options);
        var plain = FunctionVectorAnalysis.Run(model, task, options with { MeanPrompts = null });
        Assert.NotEqual(plain.Grid.Values, result.Grid.Values);
        using var means = ReferenceIndirectEffects.HeadMeans(model, meanTokens);
        var prompts = task.BuildPrompts(model.Tokenizer);
        foreach (var (l, h) in new[] { (0, 1), (1, 3) })
        {
            double reference = Enumerable.Range(0, prompts.Count).Average(b =>
                ReferenceIndirectEffects.Probability(model, prompts.CorruptedTokens.Ids[b], prompts.AnswerTokenIds[b], l, h, means[l, h]));
            Assert.Equal(reference, result.Grid.Values[l * model.Config.NHeads + h], 1e-5);
        }
    }

    [Fact]
    public void A_hand_written_task_refuses_its_own_mean_prompts()
    {
        var task = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json"));
        var e = Assert.Throws<IclException>(() => FunctionVectorAnalysis.Run(fixture.Get(WeightProcessing.Default), task,
            new FunctionVectorOptions { MeanPrompts = 10 }));
        Assert.Contains("is hand-written", e.Message, StringComparison.Ordinal);
    }
}
