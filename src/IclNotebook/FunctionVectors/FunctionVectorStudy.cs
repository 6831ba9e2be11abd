using IclNotebook.Model;
using System.Diagnostics;
using IclNotebook.Studies;
using IclNotebook.Progress;

namespace IclNotebook.FunctionVectors;

/// <summary>What <c>icl fv</c> found, with the run it belongs to.</summary>
public sealed record FunctionVectorRun(string ModelName, string Revision, WeightProcessing Processing, ModelDType DType, string TaskName,
    string TaskPath, FunctionVectorResult Result, double Seconds);

/// <summary>Runs <c>icl fv</c>: loads the model and task, then <see cref="FunctionVectorAnalysis.Run"/>.</summary>
public static class FunctionVectorStudy
{
    public static async Task<FunctionVectorRun> RunAsync(StudyOptions study, FunctionVectorOptions options, IProgress<WorkProgress>? progress = null,
            CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        var clock = Stopwatch.StartNew();
        if (options.Layer is { } layer)
        {
            var cfg = await Loading.ModelSource.LoadConfigAsync(study.Model, study.Hub, progress, ct).ConfigureAwait(false);
            if (layer < 0 || layer >= cfg.NLayers)
                throw new IclException($"The function vector's layer {layer} is outside 0..{cfg.NLayers - 1} ({cfg.Name} has {cfg.NLayers} layers).");
        }
        using var input = await StudyInput.LoadAsync(study, progress, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return Run(input, study, options, progress) with { Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>The study on an input already loaded (<see cref="StudyInput.OnLoaded"/>, as a sweep does).</summary>
    public static FunctionVectorRun Run(StudyInput input, StudyOptions study, FunctionVectorOptions options, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(study);
        var clock = Stopwatch.StartNew();
        input.RequirePrompts("icl fv");
        var result = FunctionVectorAnalysis.Run(input.Model, input.Task!, options, progress);
        return new FunctionVectorRun(input.Model.Config.Name, input.Revision, input.Model.Processing, input.Model.Config.DType, input.Task!.Name,
            Path.GetFullPath(study.TaskPath!), result, clock.Elapsed.TotalSeconds);
    }
}
