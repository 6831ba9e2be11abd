using IclNotebook.Cli.Bench;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl bench [model]</c>: benchmarks (figures to read, never pass/fail tests).</summary>
public static class BenchCommand
{
    private const string Help = """
        icl bench [model] [--runs N]

          model   load time of a ~500 MB checkpoint, one GPT-2-small forward of the seed batch
                  (4 x 139 tokens) with GFLOP/s next to a plain matmul's, peak RSS
          --runs  timed runs per figure (default 5; medians are reported)
        """;

    public static int Run(string[] args)
    {
        var cl = new CommandLine(args, new HashSet<string> { "help" });
        if (cl.Flag("help")) { Console.WriteLine(Help); return 0; }
        int runs = cl.GetInt("runs", 5);
        cl.RejectUnknown("bench");
        string which = cl.Positional.FirstOrDefault() ?? "model";
        switch (which)
        {
            case "model": ModelBench.Run(runs); return 0;
            default: throw new IclException($"Unknown benchmark '{which}'. Benchmarks: model.");
        }
    }
}
