using System.CommandLine;
using IclNotebook.Accuracy;
using IclNotebook.Statistics;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl accuracy</c>: in-context accuracy against the number of demonstrations, with bootstrap intervals.</summary>
internal static class AccuracyCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("accuracy", needsTask: true, sampling: false);
        var shots = CliOptions.IntList("--shots",
            "shot counts to measure, comma-separated (default 0,1,2,4,8; 0 is the query alone, the zero-shot baseline)",
            AccuracyStudy.DefaultShots.ToArray());
        var command = study.Create("""
            In-context accuracy against the number of demonstrations: every query shown the first k of its own
            demonstrations for each k, its answer teacher-forced. Reports first-token top-1 accuracy over the full
            vocabulary, the first token's and the whole answer's log-probability, each with a 95% bootstrap interval
            over prompts. Takes a task file or a dataset's pairs file (--prompts and --seed sample it). Writes
            results.json (every prompt's scores), report.html and the figures accuracy_by_shots and logprob_by_shots.
            """, shots);
        command.SetAction((parse, ct) => study.RunAsync(parse,
            (options, progress) => AccuracyStudy.RunAsync(options, parse.GetValue(shots), new Bootstrap(), progress, ct),
            (result, folder, force, warnings) => AccuracyReport.Write(result, folder, force, IclCommandLine.Version, warnings), ct: ct));
        return command;
    }
}
