using System.Globalization;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.TaskVectors;

namespace IclNotebook.Toy;

/// <summary>One point of the task toy's training curve: the losses since the previous point and the kit's task-vector analysis.</summary>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="Loss">Mean in-context cross-entropy since the previous point (nats, over the training vocabulary).</param>
/// <param name="VectorLoss">Mean task-vector cross-entropy since the previous point (the query alone, patched).</param>
/// <param name="InContext">Exact-match accuracy of the task files' prompts with their demonstrations (mean over the tasks).</param>
/// <param name="ZeroShot">Exact-match accuracy of the queries alone.</param>
/// <param name="Vector">Exact-match accuracy of the queries alone with the task vector patched in at the trained layer.</param>
/// <param name="Elapsed">Training time so far (seconds), measurements excluded.</param>
public sealed record TaskToyPoint(int Step, double Loss, double VectorLoss, double InContext, double ZeroShot, double Vector, double Elapsed)
{
    /// <summary>The point for <paramref name="model"/> (the full-vocabulary model) on each task's own prompts.</summary>
    internal static TaskToyPoint Measure(HookedTransformer model, IReadOnlyList<IclTask> tasks, int layer, int step, double loss,
        double vectorLoss, double elapsed)
    {
        var results = tasks.Select(t => TaskVectorAnalysis.Run(model, t, new TaskVectorOptions { Layers = [layer], BatchSize = 64 })).ToArray();
        return new TaskToyPoint(step, loss, vectorLoss, results.Average(r => r.IclAccuracy.Mean), results.Average(r => r.ZeroShotAccuracy.Mean),
            results.Average(r => r.Layers[0].Accuracy.Mean), elapsed);
    }

    /// <summary>"step   500  loss 0.123  vector loss 0.456  in context 99.6%  zero-shot 25.0%  task vector 87.1%  41 s".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"step {Step,5}  loss {Loss:F3}  vector loss {VectorLoss:F3}  in context {100 * InContext,5:F1}%  zero-shot {100 * ZeroShot,5:F1}%  " +
        $"task vector {100 * Vector,5:F1}%  {Elapsed:F0} s");
}
