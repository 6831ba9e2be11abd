using System.Diagnostics;
using IclNotebook.Model;
using IclNotebook.Progress;
using IclNotebook.Studies;

namespace IclNotebook.TaskVectors;

/// <summary>What <c>icl task-vectors</c> found, with the run it belongs to.</summary>
public sealed record TaskVectorRun(string ModelName, string Revision, WeightProcessing Processing, ModelDType DType, string TaskName,
    string TaskPath, TaskVectorResult Result, double Seconds);

/// <summary>Runs <c>icl task-vectors</c>: loads the model and task, then <see cref="TaskVectorAnalysis.Run"/>.</summary>
public static class TaskVectorStudy
{
    public static async Task<TaskVectorRun> RunAsync(StudyOptions study, TaskVectorOptions options, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        if (options.Layers is { } layers)
        {
            var cfg = await Loading.ModelSource.LoadConfigAsync(study.Model, study.Hub, progress, ct).ConfigureAwait(false);
            var outside = layers.Where(l => l < 0 || l >= cfg.NLayers).ToArray();
            if (outside.Length > 0)
                throw new IclException($"Task-vector layers must be among 0..{cfg.NLayers - 1} ({cfg.Name} has {cfg.NLayers} layers); " +
                    $"got {string.Join(", ", outside)}.");
        }
        using var input = await StudyInput.LoadAsync(study, progress, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        input.RequirePrompts("icl task-vectors");
        var result = TaskVectorAnalysis.Run(input.Model, input.Task!, options, progress);
        return new TaskVectorRun(input.Model.Config.Name, input.Revision, input.Model.Processing, input.Model.Config.DType, input.Task!.Name,
            Path.GetFullPath(study.TaskPath!), result, clock.Elapsed.TotalSeconds);
    }
}
