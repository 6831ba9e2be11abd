using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.TaskVectors;
using IclNotebook.Toy;

namespace IclNotebook.Tests.Toy;

/// <summary>
/// Issue 29's proof on the shipped task toy (data/models/toy-tasks-2l): the task vector of layer 1, taken from a prompt's
/// demonstrations and a dummy query, makes the query alone answer with the demonstrations' mapping, far above the query
/// alone, on every task; the query alone answers one task's mapping by default. The kit's own analysis, each task file's
/// 64 prompts.
/// </summary>
public class ShippedTaskToyTests
{
    [Fact]
    [Trait(Lane.Name, Lane.Full)]
    public void The_layer_1_task_vector_answers_as_the_demonstrations_do()
    {
        using var model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.TaskToy));
        var results = new TaskToyOptions().Tasks.Select(name => TaskVectorAnalysis.Run(model, IclTask.Load(TaskFiles.Resolve(name)))).ToArray();
        string seen = string.Join("; ", results.Select(r =>
            $"in context {r.IclAccuracy.Mean:F3}, zero-shot {r.ZeroShotAccuracy.Mean:F3}, layer 0 {r.Layers[0].Accuracy.Mean:F3}, " +
            $"layer 1 {r.Layers[1].Accuracy.Mean:F3}"));
        Assert.All(results, r => Assert.True(r.IclAccuracy.Mean >= 0.95 && r.Layers[1].Accuracy.Mean >= 0.95, seen));
        double zeroShot = results.Average(r => r.ZeroShotAccuracy.Mean), layer0 = results.Average(r => r.Layers[0].Accuracy.Mean);
        double layer1 = results.Average(r => r.Layers[1].Accuracy.Mean);
        Assert.True(zeroShot <= 0.5 && layer1 - zeroShot >= 0.5, seen);             // far above the query alone over the four tasks
        Assert.True(layer0 <= 0.5, seen);                                          // layer 0's stream is the arrow token itself
        Assert.True(results.Min(r => r.Layers[1].Accuracy.Mean - r.ZeroShotAccuracy.Mean) > 0, seen);
    }
}
