using System.CommandLine;
using System.Globalization;
using IclNotebook.Heads;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl heads</c>: TransformerLens's head detector and the induction benchmark for every head.</summary>
internal static class HeadsCommand
{
    public static Command Create()
    {
        var study = new StudyCommand("heads", needsTask: false);
        var text = new Option<string?>("--text") { Description = "text to score (BOS prepended as the model's family does)", HelpName = "T" };
        var tokens = new Option<string?>("--tokens") { Description = "comma-separated token ids to score, used as given", HelpName = "1,2,3" }
            .Check(list => { if (list is not null) ParseTokens(list); });
        var length = CliOptions.PositiveInt("--length", "length of the random sequence repeated twice (default 50)",
            InductionBenchmark.DefaultLength);
        var seed = new Option<ulong>("--seed") { Description = "seed of the random sequence (default 0)", HelpName = "N" };
        var excludeBos = new Option<bool>("--exclude-bos") { Description = "leave attention to position 0 out (TL's exclude_bos)" };
        var excludeCurrent = new Option<bool>("--exclude-current-token")
        {
            Description = "leave attention to the current token out (TL's exclude_current_token)",
        };
        var measure = CliOptions.Choice("--error-measure", "error measure",
            "mul (share of attention on the pattern, TL's default) or abs (1 - mean absolute difference)", "mul", ["mul", "abs"]);
        var command = study.Create("""
            TransformerLens's head detector (detect_head: previous_token_head, duplicate_token_head, induction_head)
            for every head, on --text, --tokens, or by default a random sequence repeated twice, where the
            induction benchmark's prefix-matching score (Olsson et al. 2022) is added. Writes results.json (each
            score a [layer, head] array named by its pattern), report.html and the figure head_scores.
            """, text, tokens, length, seed, excludeBos, excludeCurrent, measure);
        command.SetAction((parse, ct) =>
        {
            var heads = new HeadsOptions
            {
                Text = parse.GetValue(text),
                Tokens = parse.GetValue(tokens) is { } list ? ParseTokens(list) : null,
                Length = parse.GetValue(length),
                Seed = parse.GetValue(seed),
                Detector = new HeadDetectorOptions
                {
                    ExcludeBos = parse.GetValue(excludeBos),
                    ExcludeCurrentToken = parse.GetValue(excludeCurrent),
                    ErrorMeasure = parse.GetValue(measure) == "abs" ? ErrorMeasure.Abs : ErrorMeasure.Mul,
                },
            };
            return study.RunAsync(parse, (options, progress) => HeadsStudy.RunAsync(options, heads, progress, ct),
                (result, folder, force, warnings) => HeadsReport.Write(result, folder, force, IclCommandLine.Version, warnings), ct: ct);
        });
        return command;
    }

    private static int[] ParseTokens(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? id
            : throw new IclException($"--tokens must be comma-separated non-negative token ids; '{t}' is not one."))
        .ToArray();
}
