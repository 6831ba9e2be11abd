using System.Reflection;

namespace IclNotebook.Cli.Commands;

/// <summary>Routes <c>icl &lt;command&gt;</c> to its implementation.</summary>
public static class Dispatcher
{
    public const string Usage = """
        icl — in-context-learning interpretability on GPT-2 (TorchSharp, TransformerLens-compatible)

        Usage:
          icl analyze [--model M] [--task F] [--out DIR] [...]       the Colab's patching analysis -> results.json, report.html
          icl logits --model M --text T [--top K] [--raw] [--json]   next-token prediction at the last token
          icl download M                                              fetch a model into the Hugging Face cache
          icl bench [model]                                           speed and memory figures (seeded random GPT-2 small)
          icl --version

        Models: gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, or a folder with
        config.json + model.safetensors. Environment: HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN,
        HF_HUB_OFFLINE (Hugging Face conventions); ICL_CACHE (this tool's own cache).
        """;

    public static string Version =>
        typeof(Dispatcher).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help") { Console.WriteLine(Usage); return args.Length == 0 ? 1 : 0; }
        if (args[0] is "--version" or "-V") { Console.WriteLine($"icl {Version}"); return 0; }
        var rest = args[1..];
        return args[0] switch
        {
            "analyze" => await AnalyzeCommand.RunAsync(rest, ct),
            "logits" => await LogitsCommand.RunAsync(rest, ct),
            "download" => await DownloadCommand.RunAsync(rest, ct),
            "bench" => BenchCommand.Run(rest),
            _ => throw new IclException($"Unknown command '{args[0]}'. Commands: analyze, logits, download, bench. Run 'icl --help'."),
        };
    }
}
