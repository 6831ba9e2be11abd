using System.CommandLine;
using IclNotebook.TaskVectors;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl task-vectors</c>: task vectors (Hendel et al. 2023) for a task, swept over layers.</summary>
internal static class TaskVectorCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("task-vectors", needsTask: true);
        var layers = new Option<int[]>("--layers")
        {
            Description = "the layers to take the vector from and patch it into (default: every layer)",
            HelpName = "L",
            AllowMultipleArgumentsPerToken = true,
        };
        var maxNew = CliOptions.PositiveInt("--max-new-tokens", "tokens generated per answer (default: the longest answer's plus 2)", null);
        var command = study.Create("""
            Task vectors (Hendel et al. 2023): for each query, its demonstrations and a dummy query are run, the
            residual stream (hook_resid_pre) at the last token of layer L is kept and written over the same layer and
            position of a run of the query alone, and the model answers by generation. Accuracy per layer (exact
            match, first token beside it) with 95% intervals over the prompts, beside the in-context and zero-shot
            baselines. Writes results.json, report.html and the figure task_vectors.
            """, layers, maxNew);
        command.SetAction((parse, ct) =>
        {
            var options = new TaskVectorOptions
            {
                Layers = parse.GetValue(layers) is { Length: > 0 } chosen ? chosen : null,
                MaxNewTokens = parse.GetResult(maxNew) is not null ? parse.GetValue(maxNew) : null,
            };
            return study.RunAsync(parse, (study, progress) => TaskVectorStudy.RunAsync(study, options, progress, ct),
                (run, folder, force, warnings) => TaskVectorReport.Write(run, folder, force, IclCommandLine.Version, warnings), ct: ct);
        });
        return command;
    }
}
