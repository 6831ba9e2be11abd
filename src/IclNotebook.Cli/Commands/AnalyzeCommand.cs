using IclNotebook.Icl;
using System.Globalization;
using IclNotebook.Analysis;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl analyze</c>: the original Colab's analysis from the command line, written to an output folder.</summary>
public static class AnalyzeCommand
{
    private const string Help = """
        icl analyze [options]

          --model M          gpt2 (default), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, or a model folder
          --task FILE        task file (default data/tasks/sentiment.json)
          --out DIR          output folder (default runs/<model>-<task>-<yyyyMMdd-HHmmss>)
          --targets LIST     comma-separated patch targets (default resid_pre,attn_head_all_pos_every)
          --engine E         fast (default, exact) or reference (TransformerLens's algorithm, slow)
          --attribution      also compute attribution patching (a gradient approximation)
          --colab-exact      reproduce the original notebook exactly: sequential label replacement and
                             logits[:, -1] of the padded batch (see README, "Two quirks")
          --processing P     default (TransformerLens's weight processing) or raw
          --device D         cpu (default) or cuda (needs TorchSharp's CUDA package)
          --threads N        torch threads (default: all cores)
          --force            replace an existing output folder
          --quiet            no progress output

        Writes results.json, report.html and one .html and .png per figure (PNG needs Chromium,
        e.g. Debian's chromium package, or ICL_CHROMIUM). The folder appears only when the run is
        complete.
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var cl = new CommandLine(args, new HashSet<string> { "attribution", "colab-exact", "force", "quiet", "help" });
        if (cl.Flag("help")) { Console.WriteLine(Help); return 0; }
        string taskPath = cl.Get("task") ?? TaskFiles.Default("sentiment");
        AnalysisOptions options = new()
        {
            Model = cl.Get("model", "gpt2"),
            TaskPath = taskPath,
            Targets = cl.Get("targets", "resid_pre,attn_head_all_pos_every").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Engine = cl.Get("engine", "fast"),
            Attribution = cl.Flag("attribution"),
            ColabExact = cl.Flag("colab-exact"),
            Processing = cl.Get("processing", "default") switch
            {
                "default" => WeightProcessing.Default,
                "raw" => WeightProcessing.Raw,
                var p => throw new IclException($"--processing must be 'default' or 'raw', got '{p}'."),
            },
        };
        string device = cl.Get("device", "cpu");
        Loading.ModelSource.ParseDevice(device); // checked before any work, so a bad device leaves nothing behind
        options = options with { Device = device };
        int threads = cl.GetInt("threads", 0); // 0: leave libtorch's own choice (all cores)
        bool force = cl.Flag("force"), quiet = cl.Flag("quiet");
        string? outArg = cl.Get("out");
        cl.RejectUnknown("analyze");
        if (cl.Positional.Count > 0) throw new IclException($"Unexpected argument '{cl.Positional[0]}'. Run 'icl analyze --help'.");
        if (!File.Exists(taskPath)) throw new IclException($"Task file {Path.GetFullPath(taskPath)} does not exist; pass --task with the path of a task file.");
        foreach (var t in options.Targets) Patching.PatchTargets.Find(t);
        string outDir = outArg ?? Path.Combine("runs", $"{Sanitize(options.Model)}-{Path.GetFileNameWithoutExtension(taskPath)}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        AnalysisOutput.CheckTarget(outDir, force);
        if (threads > 0) set_num_threads(threads);

        var result = await IclAnalysis.RunAsync(options, quiet ? null : new ConsoleProgress(), new StageProgress(quiet), ct);
        ct.ThrowIfCancellationRequested();
        AnalysisOutput.Write(result, outDir, force, Dispatcher.Version, quiet ? null : w => Console.Error.WriteLine($"icl: warning: {w}"));
        if (!quiet) Console.Error.WriteLine();
        Console.WriteLine(Path.GetFullPath(outDir));
        return 0;
    }

    private static string Sanitize(string model) => string.Concat(Path.GetFileName(Path.TrimEndingDirectorySeparator(model)).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
