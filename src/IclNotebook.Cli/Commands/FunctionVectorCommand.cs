using System.CommandLine;
using IclNotebook.FunctionVectors;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl fv</c>: function vectors (Todd et al. 2024) for a task.</summary>
internal static class FunctionVectorCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("fv", needsTask: true);
        var top = CliOptions.PositiveInt("--top-heads", "heads summed into the vector (default 10, fewer if the model has fewer)", 10, "K");
        var shuffle = new Option<long?>("--shuffle-seed")
        {
            Description = "corrupt by shuffling the demonstrations' labels with this seed, as the paper does (default: the task's own corruption)",
            HelpName = "N",
        };
        var meanPrompts = CliOptions.PositiveInt("--mean-prompts",
            "for a dataset task, take the heads' means over this many other sampled clean prompts (the paper: 100; default: the AIE's prompts)",
            null);
        var layer = new Option<int?>("--layer")
        {
            Description = "add the vector at this layer's resid_post in the zero-shot test (default: every layer in turn)",
            HelpName = "L",
        };
        var command = study.Create("""
            Function vectors (Todd et al., ICLR 2024): each head's average indirect effect (AIE) on the answer's
            probability when its last-token output on the corrupted prompts is set to its mean over the clean
            prompts, the vector summed from the top heads, and a zero-shot test (the query alone, the vector added
            to the residual stream). Writes results.json, report.html and the figures fv_aie and fv_zero_shot.
            """, top, shuffle, meanPrompts, layer);
        command.SetAction((parse, ct) =>
        {
            var options = new FunctionVectorOptions
            {
                TopHeads = parse.GetValue(top),
                ShuffleSeed = parse.GetValue(shuffle),
                MeanPrompts = parse.GetResult(meanPrompts) is not null ? parse.GetValue(meanPrompts) : null,
                Layer = parse.GetValue(layer),
            };
            return study.RunAsync(parse, (study, progress) => FunctionVectorStudy.RunAsync(study, options, progress, ct),
                (run, folder, force, warnings) => FunctionVectorReport.Write(run, folder, force, IclCommandLine.Version, warnings), ct: ct);
        });
        return command;
    }
}
