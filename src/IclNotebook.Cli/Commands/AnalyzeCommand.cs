using System.CommandLine;
using System.Globalization;
using IclNotebook.ActivationPatching;
using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Patching;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl analyze</c>: the original Colab's analysis from the command line, written to an output folder.</summary>
internal static class AnalyzeCommand
{
    private static readonly string[] TargetNames = [.. PatchTargets.All.Select(t => t.Name), .. PatchTargets.Sets.Select(s => s.Name)];

    public static Command Create()
    {
        var study = new StudyCommand("analyze", needsTask: true, folderPrefix: false);
        var targets = new Option<string>("--targets")
        {
            Description = "comma-separated patch targets or sets",
            DefaultValueFactory = _ => "resid_pre,attn_head_all_pos_every",
            HelpName = "LIST",
        }.Check(list => { foreach (var t in Split(list)) PatchTargets.Find(t); });
        targets.CompletionSources.Add(TargetCompletions);
        var engine = CliOptions.Choice("--engine", "engine", "fast (exact) or reference (TransformerLens's algorithm, slow)",
            OptionNames.Name(PatchEngineKind.Fast), [OptionNames.Name(PatchEngineKind.Fast), OptionNames.Name(PatchEngineKind.Reference)]);
        var attribution = new Option<bool>("--attribution") { Description = "also compute attribution patching (a gradient approximation)" };
        var colabExact = new Option<bool>("--colab-exact")
        {
            Description = "the original notebook's two quirks: --read last-column and --replay sequential " +
                "(the replay only for a label-map corruption; other kinds keep their labels as written, and icl says so)",
        };
        var read = CliOptions.Choice("--read", "read",
            "where the metric reads: each prompt's last real token, or the padded batch's last column (logits[:, -1], the Colab's read)",
            "last-token", OptionNames.All<MetricRead>());
        var replay = CliOptions.Choice("--replay", "replay",
            "how the corruption is applied: every label at once, or the Colab's sequential str.replace loop (label-map only)",
            "simultaneous", OptionNames.All<CorruptionReplay>());
        var shard = new Option<string?>("--shard")
        {
            Description = "compute only shard K of N (0-based) of every target and write it as DIR/shard.json for `icl merge`; " +
                "'auto' reads Slurm's SLURM_ARRAY_TASK_* or Kubernetes' JOB_COMPLETION_INDEX (with --shard-count)",
            HelpName = "K/N|auto",
        }.Check(text => { if (text != "auto") PatchShard.Parse(text!); });
        var shardCount = CliOptions.PositiveInt("--shard-count",
            "the number of shards, for --shard auto in a Kubernetes Indexed Job (its completions)", null);

        var command = study.Create("""
            The original Colab's analysis: baselines, residual-stream and attention-head activation patching.
            Writes results.json, report.html and one .html and .png per figure (PNG needs Chromium, e.g.
            Debian's chromium package, or ICL_CHROMIUM) into the output folder, which appears only when the
            run is complete.
            """, targets, engine, attribution, colabExact, read, replay, shard, shardCount);
        command.SetAction(async (parse, ct) =>
        {
            var options = study.Options(parse) with
            {
                ColabExact = parse.GetValue(colabExact),
                Read = Given(parse, read) ? OptionNames.Parse<MetricRead>(parse.GetValue(read)!) : null,
                Replay = Given(parse, replay) ? OptionNames.Parse<CorruptionReplay>(parse.GetValue(replay)!) : null,
            };
            var patching = new PatchingOptions
            {
                Targets = Split(parse.GetValue(targets)!),
                Engine = OptionNames.Parse<PatchEngineKind>(parse.GetValue(engine)!),
                Attribution = parse.GetValue(attribution),
            };
            var (part, partSource) = Shard(parse.GetValue(shard), parse.GetValue(shardCount) is > 0 and var c ? c : null);
            if (part is null)
                return await study.RunAsync(parse, (o, progress) => PatchingStudy.RunAsync(o, patching, progress, ct),
                    (result, folder, force, warnings) =>
                    {
                        Note(options.ColabNote(result.Prompts.CorruptionKind));
                        PatchingStudyOutput.Write(result, folder, force, IclCommandLine.Version, warnings);
                    }, options, ct: ct).ConfigureAwait(false);

            // A shard's folder is where the run's other shards go: runs/MODEL-TASK-N-shards/shard-K.
            var shardFolder = Path.Combine(study.DefaultFolder(options, $"{part.Count}-shards"), $"shard-{part.Index}");
            Console.Error.WriteLine($"icl: shard {part} ({partSource}) on {Environment.MachineName}");
            return await study.RunAsync(parse,
                (o, progress) => PatchingStudy.RunShardAsync(o, patching, part, partSource!, IclCommandLine.Version, progress, ct),
                (piece, folder, force, _) =>
                {
                    Note(options.ColabNote(piece.Prompts.CorruptionKind));
                    piece.Save(folder, force);
                    string seconds = piece.Seconds.ToString("F1", CultureInfo.InvariantCulture);
                    string gflop = piece.Results.Sum(r => r.Gflop).ToString("F1", CultureInfo.InvariantCulture);
                    var cells = piece.Results.Sum(r => r.Indices.Count);
                    Console.Error.WriteLine($"icl: shard {part} done in {seconds} s ({cells} grid cells, {gflop} GFLOP), " +
                        $"writing {Path.GetFullPath(folder)}");
                }, options, shardFolder, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static void Note(string? note)
    {
        if (note is not null) Console.Error.WriteLine($"icl: note: {note}");
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Given(System.CommandLine.ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Target names for Tab: the list so far, then each name not yet in it.</summary>
    private static IEnumerable<System.CommandLine.Completions.CompletionItem> TargetCompletions(
        System.CommandLine.Completions.CompletionContext context)
    {
        var word = context.WordToComplete;
        int comma = word.LastIndexOf(',');
        string done = comma >= 0 ? word[..(comma + 1)] : "";
        var chosen = Split(done).ToHashSet(StringComparer.Ordinal);
        return TargetNames.Where(t => !chosen.Contains(t)).Select(t => new System.CommandLine.Completions.CompletionItem(done + t));
    }

    /// <summary>The shard --shard asks for and where it came from; null when the run is whole.</summary>
    internal static (PatchShard? Shard, string? Source) Shard(string? text, int? count)
    {
        if (text is null)
        {
            if (count is not null)
                throw new IclException("--shard-count goes with --shard auto (a Kubernetes Indexed Job); pass --shard auto too, or --shard K/N.");
            return (null, null);
        }
        if (text != "auto")
        {
            var shard = PatchShard.Parse(text);
            if (count is { } n && n != shard.Count) throw new IclException($"--shard-count {n} disagrees with --shard {text}; drop --shard-count.");
            return (shard, $"--shard {text}");
        }
        return PatchShard.FromEnvironment(Environment.GetEnvironmentVariables(), count);
    }
}
