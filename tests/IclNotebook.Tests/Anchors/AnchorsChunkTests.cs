using IclNotebook.Anchors;
using IclNotebook.Icl;
using IclNotebook.Icl.Datasets;
using IclNotebook.Loading;
using IclNotebook.Model;

namespace IclNotebook.Tests.Anchors;

/// <summary>
/// The anchors analysis runs its prompts in pieces (one forward and backward each, memory flat in the number of prompts):
/// every prompt's flows and loss are those of the prompt run alone.
/// </summary>
public class AnchorsChunkTests
{
    [Fact]
    public void Flows_in_pieces_equal_each_prompt_run_alone()
    {
        // Antonym prompts differ in length, so each prompt's label positions are its own.
        using var model = ModelLoader.LoadFolder(Fixtures.TinyModel, WeightProcessing.Raw);
        var task = DatasetTask.Resample(IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "datasets", "function-vectors", "abstractive", "antonym.json")), new DatasetSampling(Shots: 3, Prompts: 6, Seed: 3));
        var prompts = task.BuildPrompts(model.Tokenizer);
        Assert.True(prompts.CleanTokens.Lengths.Distinct().Count() > 1);
        var together = AnchorsAnalysis.Run(model, task, prompts, chunkTokens: 1 << 20);
        var pieces = AnchorsAnalysis.Run(model, task, prompts, chunkTokens: 2 * prompts.CleanTokens.MaxLength);
        var alone = AnchorsAnalysis.Run(model, task, prompts, chunkTokens: 1);
        foreach (var (name, run) in new[] { ("pieces of two", pieces), ("one at a time", alone) })
        {
            TensorAssert.Close(together.Loss, run.Loss, 1e-5, $"{name}: loss");
            for (int b = 0; b < prompts.Count; b++)
                for (int l = 0; l < model.Config.NLayers; l++)
                {
                    var (a, c) = (together.PerPrompt[b][l], run.PerPrompt[b][l]);
                    TensorAssert.Close([a.TextToLabel, a.LabelToTarget, a.Other], [c.TextToLabel, c.LabelToTarget, c.Other], 1e-5,
                        $"{name}: prompt {b} layer {l}");
                }
        }
    }
}
