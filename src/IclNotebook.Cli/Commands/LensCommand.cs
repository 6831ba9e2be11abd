using System.CommandLine;
using IclNotebook.Lens;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl lens</c>: logit lens, residual decomposition and per-head direct logit attribution of a task's clean prompts.</summary>
internal static class LensCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("lens", needsTask: true);
        var command = study.Create("""
            Logit lens, residual-stream decomposition and per-head direct logit attribution (TransformerLens's
            accumulated_resid, decompose_resid, stack_head_results and logit_attrs) of the task's clean prompts,
            each read at its last real token. Writes results.json (every stack with TL's labels, per prompt),
            report.html and the figures logit_lens, dla_components and dla_heads.
            """);
        command.SetAction((parse, ct) => study.RunAsync(parse, (options, progress) => LensStudy.RunAsync(options, progress, ct),
            (result, folder, force, warnings) => LensReport.Write(result, folder, force, IclCommandLine.Version, warnings), ct: ct));
        return command;
    }
}
