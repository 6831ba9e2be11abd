using System.CommandLine;
using IclNotebook.Anchors;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl anchors</c>: label words as anchors (Wang et al. 2023) for a task.</summary>
internal static class AnchorsCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("anchors", needsTask: true, defaultProcessing: "raw");
        var command = study.Create("""
            Label words as anchors (Wang et al., EMNLP 2023): the saliency of every attention edge
            (|sum over heads of A * dL/dA|, L the answer's cross-entropy) and, per layer, the mean flow from the
            text into the demonstrations' label words (S_wp), from the label words into the prediction (S_pq) and
            along every other edge (S_ww). Computed on the checkpoint's own weights by default (--processing raw),
            as the paper did: the saliency changes under TransformerLens's weight processing. Writes results.json,
            report.html and the figure anchors_flows.
            """);
        command.SetAction((parse, ct) => study.RunAsync(parse, (options, progress) => AnchorsStudy.RunAsync(options, progress, ct),
            (run, folder, force, warnings) => AnchorsReport.Write(run, folder, force, IclCommandLine.Version, warnings), ct: ct));
        return command;
    }
}
