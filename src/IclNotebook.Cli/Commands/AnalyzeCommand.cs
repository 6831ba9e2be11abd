using System.CommandLine;
using System.Globalization;
using IclNotebook.Analysis;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl analyze</c>: the original Colab's analysis from the command line, written to an output folder.</summary>
internal static class AnalyzeCommand
{
    private static readonly string[] TargetNames = [.. PatchTargets.All.Select(t => t.Name), .. PatchTargets.Sets.Select(s => s.Name)];

    public static Command Create()
    {
        var model = CliOptions.Model();
        var revision = CliOptions.Revision();
        var task = new Option<string?>("--task") { Description = "task file (default data/tasks/sentiment.json)", HelpName = "FILE" };
        var outDir = new Option<string?>("--out") { Description = "output folder (default runs/<model>-<task>-<yyyyMMdd-HHmmss>)", HelpName = "DIR" };
        var targets = new Option<string>("--targets")
        {
            Description = "comma-separated patch targets or sets",
            DefaultValueFactory = _ => "resid_pre,attn_head_all_pos_every",
            HelpName = "LIST",
        }.Check(list => { foreach (var t in Split(list)) PatchTargets.Find(t); });
        targets.CompletionSources.Add(TargetCompletions);
        var engine = CliOptions.Choice("--engine", "engine", "fast (exact) or reference (TransformerLens's algorithm, slow)", "fast", ["fast", "reference"]);
        var attribution = new Option<bool>("--attribution") { Description = "also compute attribution patching (a gradient approximation)" };
        var colabExact = new Option<bool>("--colab-exact")
        {
            Description = "the original notebook's two quirks: --read last-column and --replay sequential (the replay only for a label-map corruption; other kinds keep their labels as written, and icl says so)",
        };
        var read = CliOptions.Choice("--read", "read", "where the metric reads: each prompt's last real token, or the padded batch's last column (logits[:, -1], the Colab's read)", "last-token", OptionNames.All<MetricRead>());
        var replay = CliOptions.Choice("--replay", "replay", "how the corruption is applied: every label at once, or the Colab's sequential str.replace loop (label-map only)", "simultaneous", OptionNames.All<CorruptionReplay>());
        var processing = CliOptions.Choice("--processing", "processing", "TransformerLens's weight processing (default) or the raw checkpoint weights", "default", OptionNames.All<WeightProcessing>());
        var device = new Option<string>("--device") { Description = "cpu or cuda (needs TorchSharp's CUDA package)", DefaultValueFactory = _ => "cpu", HelpName = "cpu|cuda" }
            .Check(d => ModelSource.ParseDevice(d));
        device.CompletionSources.Add("cpu", "cuda");
        var threads = CliOptions.PositiveInt("--threads", "torch threads (default: libtorch's choice, all cores)", null);
        var shard = new Option<string?>("--shard")
        {
            Description = "compute only shard K of N (0-based) of every target and write it as DIR/shard.json for `icl merge`; 'auto' reads Slurm's SLURM_ARRAY_TASK_* or Kubernetes' JOB_COMPLETION_INDEX (with --shard-count)",
            HelpName = "K/N|auto",
        }.Check(text => { if (text != "auto") PatchShard.Parse(text!); });
        var shardCount = CliOptions.PositiveInt("--shard-count", "the number of shards, for --shard auto in a Kubernetes Indexed Job (its completions)", null);
        var force = new Option<bool>("--force") { Description = "replace an existing output folder" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };

        var command = new Command("analyze", """
            The original Colab's analysis: baselines, residual-stream and attention-head activation patching.
            Writes results.json, report.html and one .html and .png per figure (PNG needs Chromium, e.g.
            Debian's chromium package, or ICL_CHROMIUM) into the output folder, which appears only when the
            run is complete.
            """)
        {
            model, revision, task, outDir, targets, engine, attribution, colabExact, read, replay, processing, device, threads, shard, shardCount, force, quiet,
        };
        command.SetAction(async (parse, ct) =>
        {
            string taskPath = parse.GetValue(task) ?? TaskFiles.Default("sentiment");
            bool colab = parse.GetValue(colabExact);
            // Checked before any work, in order of cost: the task (its corruption decides the replay), the output folder.
            if (!File.Exists(taskPath)) throw new IclException($"Task file {Path.GetFullPath(taskPath)} does not exist; pass --task with the path of a task file.");
            var taskFile = IclTask.Load(taskPath);
            var options = new AnalysisOptions
            {
                Model = parse.GetValue(model)!,
                Hub = CliOptions.Hub(parse, revision),
                TaskPath = taskPath,
                Targets = Split(parse.GetValue(targets)!),
                Engine = parse.GetValue(engine)!,
                Attribution = parse.GetValue(attribution),
                Read = Given(parse, read) || !colab ? OptionNames.Parse<MetricRead>(parse.GetValue(read)!) : MetricRead.LastColumn,
                Replay = Given(parse, replay) || !colab ? OptionNames.Parse<CorruptionReplay>(parse.GetValue(replay)!) : ColabReplay(taskFile),
                Processing = OptionNames.Parse<WeightProcessing>(parse.GetValue(processing)!),
                Device = parse.GetValue(device)!,
            };
            bool beQuiet = parse.GetValue(quiet);
            if (colab && !Given(parse, replay) && options.Replay == CorruptionReplay.Simultaneous)
                Console.Error.WriteLine($"icl: note: --colab-exact replays a corruption sequentially only for kind '{LabelMapCorruption.KindName}'; this task's corruption is '{taskFile.Corruption.Kind}', so its labels are used as written (metric read: last column).");
            var (part, partSource) = Shard(parse.GetValue(shard), parse.GetValue(shardCount) is > 0 and var c ? c : null);
            string folder = parse.GetValue(outDir) ?? DefaultFolder(options.Model, options.Hub.Revision, taskPath, part);
            bool replace = parse.GetValue(force);
            AnalysisOutput.CheckTarget(folder, replace);
            if (parse.GetValue(threads) is > 0 and var n) set_num_threads(n);

            if (part is not null)
            {
                Console.Error.WriteLine($"icl: shard {part} ({partSource}) on {Environment.MachineName}, writing {Path.GetFullPath(folder)}");
                var piece = await TerminalProgress.RunAsync(beQuiet, progress => IclAnalysis.RunShardAsync(options, part, partSource!, IclCommandLine.Version, progress, ct)).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                piece.Save(folder, replace);
                Console.Error.WriteLine($"icl: shard {part} done in {piece.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({piece.Results.Sum(r => r.Indices.Count)} grid cells, {piece.Results.Sum(r => r.Gflop).ToString("F1", CultureInfo.InvariantCulture)} GFLOP)");
                Console.WriteLine(Path.GetFullPath(folder));
                return 0;
            }
            var result = await TerminalProgress.RunAsync(beQuiet, progress => IclAnalysis.RunAsync(options, progress, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            AnalysisOutput.Write(result, folder, replace, IclCommandLine.Version, beQuiet ? null : w => Console.Error.WriteLine($"icl: warning: {w}"));
            Console.WriteLine(Path.GetFullPath(folder));
            return 0;
        });
        return command;
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The Colab's replay where it is defined (a label map), else the task's labels as written.</summary>
    private static CorruptionReplay ColabReplay(IclTask task) =>
        task.Corruption is LabelMapCorruption ? CorruptionReplay.Sequential : CorruptionReplay.Simultaneous;

    private static bool Given(System.CommandLine.ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Target names for Tab: the list so far, then each name not yet in it.</summary>
    private static IEnumerable<System.CommandLine.Completions.CompletionItem> TargetCompletions(System.CommandLine.Completions.CompletionContext context)
    {
        var word = context.WordToComplete;
        int comma = word.LastIndexOf(',');
        string done = comma >= 0 ? word[..(comma + 1)] : "";
        var chosen = Split(done).ToHashSet(StringComparer.Ordinal);
        return TargetNames.Where(t => !chosen.Contains(t)).Select(t => new System.CommandLine.Completions.CompletionItem(done + t));
    }

    /// <summary>The shard --shard asks for and where it came from; null when the run is whole.</summary>
    private static (PatchShard? Shard, string? Source) Shard(string? text, int? count)
    {
        if (text is null)
        {
            if (count is not null) throw new IclException("--shard-count goes with --shard auto (a Kubernetes Indexed Job); pass --shard auto too, or --shard K/N.");
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

    /// <summary>runs/MODEL-TASK-TIME; a shard's goes where the other shards of the run will be: runs/MODEL-TASK-N-shards/shard-K.</summary>
    private static string DefaultFolder(string model, string revision, string taskPath, PatchShard? shard)
    {
        string run = $"{Sanitize(model)}{(revision == "main" || Directory.Exists(model) ? "" : "-" + Sanitize(revision))}-{Path.GetFileNameWithoutExtension(taskPath)}";
        return shard is null
            ? Path.Combine("runs", $"{run}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}")
            : Path.Combine("runs", $"{run}-{shard.Count}-shards", $"shard-{shard.Index}");
    }

    private static string Sanitize(string model) => string.Concat(Path.GetFileName(Path.TrimEndingDirectorySeparator(model)).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
