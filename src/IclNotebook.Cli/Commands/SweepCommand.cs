using System.CommandLine;
using System.Globalization;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Studies;
using IclNotebook.Sweeps;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl sweep</c>: chosen analyses over many tasks with one model, resumable, shardable over tasks, with a cross-task summary.</summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var revision = CliOptions.Revision();
        var tasks = new Option<string>("--tasks")
        {
            Description = "the tasks: 'shipped' (the 47 Function Vectors datasets), a folder of task files, or a comma list of files and " +
                "shipped dataset names (antonym,country-capital)",
            HelpName = "shipped|DIR|A,B,...",
            Required = true,
        };
        var analyses = new Option<string>("--analyses")
        {
            Description = $"comma list of {string.Join(", ", OptionNames.All<SweepAnalysis>())} (default accuracy,fv)",
            HelpName = "A,B",
            DefaultValueFactory = _ => "accuracy,fv",
        }.Check(text => Analyses(text));
        var shots = CliOptions.PositiveInt("--shots", "demonstrations per prompt of every dataset task (default: each task's, else 10)", null, "K");
        var prompts = CliOptions.PositiveInt("--prompts", "prompts sampled per dataset task (default: each task's, else 25)", null);
        var seed = new Option<long?>("--seed") { Description = "sampling seed of every dataset task (default: each task's, else 0)", HelpName = "S" };
        var accuracyShots = CliOptions.IntList("--accuracy-shots", "accuracy's shot counts (default 0,1,2,4,8 and the task's own, up to its own)", []);
        var topHeads = CliOptions.PositiveInt("--top-heads", "heads in each task's function vector (default 10)", 10, "K");
        var dtype = CliOptions.Choice("--dtype", "dtype", "the weights' dtype (float32, or bfloat16 where the CPU has fast bfloat16 kernels)",
            OptionNames.Name(ModelDType.Float32), OptionNames.All<ModelDType>());
        var threads = CliOptions.PositiveInt("--threads", "torch threads (default: libtorch's choice, all cores)", null);
        var output = new Option<string?>("--out") { Description = "the sweep's folder (default runs/sweep-<model>-<yyyyMMdd-HHmmss>); rerun with it to resume", HelpName = "DIR" };
        var shard = new Option<string?>("--shard")
        {
            Description = "run every N-th task only: K/N (0-based), or 'auto' from Slurm's or Kubernetes' array index; the run without " +
                "--shard afterwards writes the summary",
            HelpName = "K/N|auto",
        }.Check(text => { if (text != "auto") PatchShard.Parse(text!); });
        var shardCount = CliOptions.PositiveInt("--shard-count", "the number of shards, for --shard auto in a Kubernetes Indexed Job", null);
        var quiet = new Option<bool>("--quiet") { Description = "no progress output" };
        var command = new Command("sweep", """
            Runs chosen analyses (accuracy, fv, patching, anchors) on many tasks with one model: one folder per task
            and analysis (DIR/TASK/ANALYSIS, each as its own command writes it), then DIR/summary with cross-task
            tables and figures (accuracy per task; each task's function-vector heads; heads shared across tasks).
            Resumable: rerun with the same --out and an analysis already written is skipped; an interrupted one leaves
            nothing. DIR/sweep.json keeps the settings; a rerun with others is refused.
            """)
        {
            model, revision, tasks, analyses, shots, prompts, seed, accuracyShots, topHeads, dtype, threads, output, shard, shardCount, quiet,
        };
        command.SetAction(async (parse, ct) =>
        {
            var study = new StudyOptions
            {
                Model = parse.GetValue(model)!,
                Hub = CliOptions.Hub(parse, revision),
                DType = OptionNames.Parse<ModelDType>(parse.GetValue(dtype)!),
                Shots = parse.GetResult(shots) is not null ? parse.GetValue(shots) : null,
                Prompts = parse.GetResult(prompts) is not null ? parse.GetValue(prompts) : null,
                Seed = parse.GetValue(seed),
            };
            var sweep = new SweepOptions
            {
                Tasks = SweepTasks.Resolve(parse.GetValue(tasks)!),
                Analyses = Analyses(parse.GetValue(analyses)!),
                AccuracyShots = parse.GetValue(accuracyShots) is { Length: > 0 } list ? list : null,
                FunctionVectors = new FunctionVectors.FunctionVectorOptions { TopHeads = parse.GetValue(topHeads) },
            };
            var (part, source) = AnalyzeCommand.Shard(parse.GetValue(shard), parse.GetValue(shardCount) is > 0 and var c ? c : null);
            string folder = parse.GetValue(output) ?? Path.Combine("runs",
                $"sweep-{Path.GetFileName(Path.TrimEndingDirectorySeparator(study.Model))}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
            if (parse.GetValue(threads) is > 0 and var n) TorchSharp.torch.set_num_threads(n);
            bool silent = parse.GetValue(quiet);
            if (part is not null && !silent) Console.Error.WriteLine($"icl: sweep shard {part} ({source}) on {Environment.MachineName}");
            var outcome = await TerminalProgress.RunAsync(silent, progress =>
                SweepStudy.RunAsync(study, sweep, folder, part ?? PatchShard.Whole, IclCommandLine.Version, progress, ct)).ConfigureAwait(false);
            if (!silent)
                Console.Error.WriteLine($"icl: {outcome.Ran} analyses run, {outcome.Skipped} already done, over {outcome.TasksHere} of {outcome.Tasks} tasks; " +
                    (outcome.Summarised ? $"open {Path.Combine(outcome.Folder, "summary", "report.html")}"
                        : "the summary waits for the other shards (rerun without --shard once they are done)"));
            Console.WriteLine(outcome.Folder);
            return 0;
        });
        return command;
    }

    internal static List<SweepAnalysis> Analyses(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new IclException("--analyses needs at least one of accuracy, fv, patching, anchors.");
        var list = names.Select(OptionNames.Parse<SweepAnalysis>).ToList();
        return list.Distinct().Count() == list.Count ? list : throw new IclException($"--analyses lists an analysis twice ('{text}').");
    }
}
