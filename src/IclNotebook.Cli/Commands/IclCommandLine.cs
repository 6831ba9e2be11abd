using System.CommandLine;
using System.CommandLine.Invocation;

namespace IclNotebook.Cli.Commands;

/// <summary>
/// The <c>icl</c> command tree (System.CommandLine): each command is one file with a
/// <c>Create()</c>, added here. Parsing, typed options, help, <c>--version</c>, response files
/// (<c>@args.rsp</c>) and Tab completion (the <c>[suggest]</c> directive that <c>dotnet-suggest</c>
/// calls) come from the library; this class keeps the kit's conventions on top: a parse error is
/// one line on stderr starting "icl: " with exit code 1, like every other user error.
/// </summary>
internal static class IclCommandLine
{
    /// <summary>The kit's one version (<see cref="KitVersion"/>), which the tool and the library share.</summary>
    public static string Version => KitVersion.Current;

    public static RootCommand Root()
    {
        var root = new RootCommand("icl — in-context-learning interpretability on GPT-2, GPT-NeoX, GPT-J, Llama, Mistral, Phi-3, " +
            "Qwen2, Qwen3, Gemma 2, Gemma 3 and OLMo-2 models " +
            "(TorchSharp, TransformerLens-compatible). " +
            "Environment: HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE (Hugging Face conventions); " +
            "ICL_CACHE (this tool's own cache); ICL_DEBUG=1 for stack traces.")
        {
            AnalyzeCommand.Create(),
            LensCommand.Create(),
            AccuracyCommand.Create(),
            SweepCommand.Create(),
            HeadsCommand.Create(),
            FunctionVectorCommand.Create(),
            TaskVectorCommand.Create(),
            CircuitCommand.Create(),
            AnchorsCommand.Create(),
            LogitsCommand.Create(),
            GenerateCommand.Create(),
            TrainToyCommand.Create(),
            TrainTaskToyCommand.Create(),
            MergeCommand.Create(),
            DownloadCommand.Create(),
            BenchCommand.Create(),
        };
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new PrintVersion();
        return root;
    }

    /// <summary>Parses and runs; exceptions propagate to the caller (Program), which owns the exit codes.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var parse = Root().Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            string command = parse.CommandResult.Command is RootCommand ? "icl" : $"icl {parse.CommandResult.Command.Name}";
            string message = parse.UnmatchedTokens.Count > 0
                ? $"Unknown command, option or argument '{parse.UnmatchedTokens[0]}'."
                : string.Join(" ", parse.Errors[0].Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"icl: {message} Run '{command} --help'.");
            return 1;
        }
        var config = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false, // IclException -> exit 1, anything else -> 2: Program decides
            ProcessTerminationTimeout = null,      // Program's own Ctrl-C handler cancels and returns 130
        };
        return await parse.InvokeAsync(config, ct).ConfigureAwait(false);
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            Console.WriteLine($"icl {Version}");
            return 0;
        }
    }
}
