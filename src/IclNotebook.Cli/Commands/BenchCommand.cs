using IclNotebook.Icl;
using IclNotebook.Cli.Bench;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl bench [model]</c>: benchmarks (figures to read, never pass/fail tests).</summary>
public static class BenchCommand
{
    private const string Help = """
        icl bench [model|patching] [--runs N] [--samples N] [--task FILE]

          model     load time of a ~500 MB checkpoint, one GPT-2-small forward of the seed batch
                    (4 x 139 tokens) with GFLOP/s next to a plain matmul's, peak RSS
          patching  the full analysis (resid_pre + attn_head_all_pos_every) with the fast engine,
                    the reference engine's time estimated from a random sample, speed-up, peak RSS
          --runs    timed runs per figure of 'model' (default 5; medians are reported)
          --samples reference-engine indices timed per target of 'patching' (default 40)
          --task    task file for 'patching' (default data/tasks/sentiment.json)
        """;

    public static int Run(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string> { "help" });
        if (cl.Flag("help")) { Console.WriteLine(Help); return 0; }
        int runs = cl.GetInt("runs", 5);
        int samples = cl.GetInt("samples", 40);
        string task = cl.Get("task") ?? TaskFiles.Default("sentiment");
        cl.RejectUnknown("bench");
        string which = cl.Positional.FirstOrDefault() ?? "model";
        switch (which)
        {
            case "model": ModelBench.Run(runs); return 0;
            case "patching": PatchingBench.Run(task, samples); return 0;
            default: throw new IclException($"Unknown benchmark '{which}'. Benchmarks: model, patching.");
        }
    }
}
