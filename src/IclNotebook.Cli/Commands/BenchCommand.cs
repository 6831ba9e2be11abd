using System.CommandLine;
using IclNotebook.Cli.Bench;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl bench [model|patching]</c>: benchmarks (figures to read, never pass/fail tests).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var which = new Argument<string>("benchmark")
        {
            Description = "model: load time of a ~500 MB checkpoint, one GPT-2-small forward of the seed batch (4 x 139 tokens) " +
                          "with GFLOP/s next to a plain matmul's, peak RSS. " +
                          "patching: the full analysis (resid_pre + attn_head_all_pos_every) with the fast engine, " +
                          "the reference engine's time estimated from a random sample, speed-up, peak RSS. " +
                          "shards: the same analysis unsplit and as --shards shards one after another (each with its own setup), " +
                          "the longest shard vs the unsplit run, the balance, merged == unsplit. " +
                          "fv: the function-vector protocol (AIE grid of every head) against one forward per prompt and head. " +
                          "anchors: the label-word saliency against one forward + backward per prompt and layer. " +
                          "dtype: the seed analysis in each of --dtypes side by side, with each dtype's plain matmul speed. " +
                          "sweep: icl sweep over the first --tasks shipped tasks, its time per task and peak RSS. " +
                          "generate: greedy generation's tokens/s with the key/value cache and without (a whole forward per token), " +
                          "batch 1 and 8, side by side. " +
                          "circuit: exact path patching of every head into every head's q/k/v input (fast engine) against the " +
                          "reference's estimate, then EAP and EAP-IG over the whole graph",
            DefaultValueFactory = _ => "model",
        };
        which.AcceptOnlyFromAmong("model", "patching", "shards", "fv", "anchors", "dtype", "sweep", "generate", "circuit");
        var dtypes = new Option<string>("--dtypes")
        {
            Description = "for 'dtype', 'model' and 'generate': the dtypes measured, comma-separated (float32, bfloat16, float16)",
            DefaultValueFactory = _ => "float32,bfloat16",
            HelpName = "LIST",
        }.Check(list => DTypes(list));
        var runs = CliOptions.PositiveInt("--runs", "timed runs per figure of 'model' (medians are reported)", 5);
        var samples = CliOptions.PositiveInt("--samples",
            "reference-engine indices timed per target of 'patching'; reference forwards of 'fv' and passes of 'anchors'", 40);
        var task = new Option<string?>("--task")
        {
            Description = "task file for 'patching', 'shards', 'fv' and 'anchors' (default data/tasks/sentiment.json)",
            HelpName = "FILE",
        };
        var shards = CliOptions.PositiveInt("--shards", "shards of 'shards'", 2);
        var demos = new Option<string?>("--demos")
        {
            Description = "for 'patching': a length ladder instead, e.g. 6,12,24: the task's demonstrations cycled to each count, " +
                "the fast engine's rate at each (resid_pre; the whole seed analysis at the first)",
            HelpName = "LIST",
        }.Check(list => DemoCounts(list));
        var batchMb = CliOptions.PositiveInt("--batch-mb",
            "for 'patching --demos': the fast engine's memory budget per batched forward, MB " +
            "(default: its own, which follows the machine's memory)", null);
        var targets = new Option<string?>("--targets")
        {
            Description = "for 'patching': the patch targets (default resid_pre and attn_head_all_pos_every, the seed analysis); " +
                "with --demos, those timed at every length (default resid_pre, and attn_head_all_pos_every at the first length)",
            HelpName = "LIST",
        }.Check(list => { foreach (var t in Targets(list)!) PatchTargets.Find(t); });
        var shape = CliOptions.Choice("--shape", "shape",
            "the real model whose shape the random weights take (its config.json, tensors and tokenizer)", "gpt2-small", BenchShape.Names);
        var prompts = CliOptions.PositiveInt("--prompts", "for 'patching', 'fv' and 'anchors' on a dataset task, and each task of 'sweep': how many prompts to sample", null);
        var meanPrompts = CliOptions.PositiveInt("--mean-prompts",
            "for 'fv' on a dataset task: the heads' means over this many other sampled prompts (the paper's protocol: 100)", null);
        var shardMb = CliOptions.PositiveInt("--shard-mb",
            "write the random checkpoint in shards of at most this many MB with an index, as the hub ships large models " +
            "(default: the shape's own, a single file for the small ones)", null);
        var gridShard = new Option<string?>("--shard")
        {
            Description = "for 'patching': only shard K/N of each grid and no reference estimate (memory and speed over many prompts " +
                "in a fraction of the time)",
            HelpName = "K/N",
        }.Check(text => PatchShard.Parse(text!));
        var sweepTasks = CliOptions.PositiveInt("--tasks", "for 'sweep': how many shipped tasks (alphabetical)", 20);
        var sweepAnalyses = new Option<string>("--analyses")
        {
            Description = "for 'sweep': the analyses (accuracy, fv, patching, anchors)",
            DefaultValueFactory = _ => "accuracy,fv",
            HelpName = "A,B",
        }.Check(text => SweepCommand.Analyses(text));
        var whole = new Option<bool>("--whole") { Description = "for 'circuit': time the whole exact grid (hours at GPT-2 small's shape), not a sample" };
        var command = new Command("bench", "Speed and memory figures on seeded random weights of a real model's shape (GPT-2 small by default).")
        {
            which, runs, samples, task, shards, demos, targets, batchMb, shape, shardMb, dtypes, prompts, meanPrompts, gridShard, sweepTasks, sweepAnalyses, whole,
        };
        command.SetAction(parse =>
        {
            var chosen = BenchShape.Find(parse.GetValue(shape)!);
            if (parse.GetValue(shardMb) is > 0 and var shardLimit) chosen = chosen with { ShardMb = shardLimit };
            string taskPath = parse.GetValue(task) ?? TaskFiles.Default("sentiment");
            switch (parse.GetValue(which))
            {
                case "model":
                    foreach (var dtype in DTypes(parse.GetValue(dtypes))) ModelBench.Run(parse.GetValue(runs), chosen, dtype);
                    break;
                case "patching" when parse.GetValue(demos) is { } ladder:
                    PatchingLadderBench.Run(taskPath, DemoCounts(ladder), parse.GetValue(samples), chosen, Targets(parse.GetValue(targets)),
                        parse.GetValue(batchMb) is > 0 and var mb ? new FastEngineOptions { BatchMemoryMb = mb } : null);
                    break;
                case "patching":
                    PatchingBench.Run(taskPath, parse.GetValue(samples), chosen, parse.GetResult(prompts) is not null ? parse.GetValue(prompts) : null,
                        Targets(parse.GetValue(targets)), parse.GetValue(gridShard) is { } k ? PatchShard.Parse(k) : null);
                    break;
                case "shards": ShardsBench.Run(taskPath, parse.GetValue(shards), chosen); break;
                case "circuit": CircuitBench.Run(taskPath, Math.Min(parse.GetValue(samples), 24), chosen, parse.GetValue(whole)); break;
                case "dtype": DTypeBench.Run(taskPath, chosen, DTypes(parse.GetValue(dtypes))); break;
                case "generate":
                    foreach (var dtype in DTypes(parse.GetResult(dtypes) is null ? "float32" : parse.GetValue(dtypes)))
                        GenerateBench.Run(parse.GetValue(runs), chosen, dtype, [1, 8]);
                    break;
                case "sweep":
                    SweepBench.Run(parse.GetValue(sweepTasks), SweepCommand.Analyses(parse.GetValue(sweepAnalyses)!), chosen,
                        parse.GetResult(prompts) is not null ? parse.GetValue(prompts) : null);
                    break;
                default:
                    AnalysesBench.Run(parse.GetValue(which)!, taskPath, parse.GetValue(samples), chosen,
                        parse.GetResult(prompts) is not null ? parse.GetValue(prompts) : null,
                        parse.GetResult(meanPrompts) is not null ? parse.GetValue(meanPrompts) : null);
                    break;
            }
            return 0;
        });
        return command;
    }

    private static ModelDType[] DTypes(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(OptionNames.Parse<ModelDType>).ToArray();

    private static string[]? Targets(string? list) => list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int[] DemoCounts(string? list)
    {
        var parts = (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        var counts = parts.Select(p => int.TryParse(p, System.Globalization.NumberStyles.None, invariant, out int n) && n > 0 ? n : -1).ToArray();
        if (counts.Length == 0 || counts.Any(n => n < 0))
            throw new IclException($"--demos '{list}' is not a list of demonstration counts; write e.g. 6,12,24.");
        return counts;
    }
}
