using IclNotebook.Generation;
using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.TaskVectors;
using static TorchSharp.torch;

namespace IclNotebook.Tests.TaskVectors;

/// <summary>The task-vector protocol against a straightforward reference, on the shipped toy model.</summary>
public class TaskVectorAnalysisTests
{
    private static IclTask ToyTask(int prompts)
    {
        var task = IclTask.Load(TaskFiles.Resolve("toy-recall-dataset"));
        return task with { Queries = task.Queries.Take(prompts).ToArray(), QueryDemos = task.QueryDemos!.Take(prompts).ToArray() };
    }

    [Fact]
    public void Each_patched_answer_is_what_a_hand_written_patch_of_one_prompt_generates()
    {
        using var model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.Toy));
        var task = ToyTask(6);
        var result = TaskVectorAnalysis.Run(model, task, new TaskVectorOptions { BatchSize = 4 });   // two batches: 4 + 2
        Assert.Equal([0, 1], result.Layers.Select(l => l.Layer));
        var options = new GenerationOptions { MaxNewTokens = result.MaxNewTokens, StopStrings = ["\n"], UseCache = false };
        for (int q = 0; q < 6; q++)
        {
            var demos = task.DemosOf(q);
            var dummy = demos.First(d => d.Input != task.Queries[q].Input);
            Assert.Equal(dummy.Input, result.Prompts[q].DummyQuery);
            var dummyText = string.Join("\n", demos.Select(task.FormatDemo)) + "\n" + task.FormatQuery(dummy);
            var zeroShot = model.Tokenizer.ToTokens([task.PromptText(q, 0)]).Ids[0];
            for (int layer = 0; layer < 2; layer++)
            {
                var (_, cache) = model.RunWithCache(model.Tokenizer.ToTokens([dummyText]).ToTensor(), n => n == HookName.ResidPre(layer));
                using (cache)
                {
                    using var vector = cache[HookName.ResidPre(layer)][0, -1].clone();            // the dummy prompt's last token
                    Tensor? Patch(Tensor act, HookPoint _)
                    {
                        var x = act.clone();
                        x[0, zeroShot.Length - 1] = vector;                                         // the query's last token, every forward
                        return x;
                    }
                    using var hook = model.Hooks((HookName.ResidPre(layer), Patch));
                    var expected = model.Generate([zeroShot], options)[0].Text;
                    Assert.Equal(expected, result.Prompts[q].Patched[layer]);
                }
            }
        }
    }

    [Fact]
    [Trait(Lane.Name, Lane.Full)]
    public void The_toy_answers_in_context_but_not_from_its_query_alone()
    {
        using var model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.Toy));
        var result = TaskVectorAnalysis.Run(model, ToyTask(40));
        Assert.True(result.IclAccuracy.Mean >= 0.95, $"in context {result.IclAccuracy}");
        Assert.Equal(0, result.ZeroShotAccuracy.Mean);
        Assert.True(result.IclAccuracy.Low > result.Layers.Max(l => l.Accuracy.High),
            "the toy recalls from its context: no layer's vector carries the mapping");
        var e = Assert.Throws<IclException>(() => TaskVectorAnalysis.Run(model, ToyTask(2), new TaskVectorOptions { Layers = [2] }));
        Assert.Contains("must be among 0..1", e.Message, StringComparison.Ordinal);
    }
}
