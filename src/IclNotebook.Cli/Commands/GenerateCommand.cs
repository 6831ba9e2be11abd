using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using IclNotebook.Generation;
using IclNotebook.Loading;
using IclNotebook.Model;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl generate</c>: the model continues a text, streamed to the terminal token by token.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var revision = CliOptions.Revision();
        var text = new Option<string>("--text")
        {
            Description = "the prompt; BOS is prepended as TransformerLens does", Required = true, HelpName = "T",
        };
        var maxNew = CliOptions.PositiveInt("--max-new-tokens", "at most this many new tokens (default 20)", 20);
        var temperature = new Option<double>("--temperature")
        {
            Description = "0 for greedy decoding (the default); above 0, sample", HelpName = "T",
        };
        var topK = CliOptions.PositiveInt("--top-k", "sample among the k most likely tokens only", null, "K");
        var topP = new Option<double?>("--top-p")
        {
            Description = "sample from the smallest set of tokens whose probability reaches p", HelpName = "P",
        };
        var seed = new Option<ulong>("--seed") { Description = "the sampling seed (default 0): the same seed gives the same text", HelpName = "N" };
        var stop = new Option<string[]>("--stop")
        {
            Description = "stop when the text contains this string (repeatable; \\n for a new line); the text ends before it",
            HelpName = "S",
            AllowMultipleArgumentsPerToken = false,
        };
        var noEos = new Option<bool>("--ignore-eos") { Description = "keep going past the end-of-sequence token" };
        var noCache = new Option<bool>("--no-cache")
        {
            Description = "a whole forward per token instead of the key/value cache (the reference; slower)",
        };
        var dtype = CliOptions.DType();
        var command = new Command("generate", "The model continues a text, streamed token by token (greedy unless --temperature is given).")
        {
            model, revision, text, maxNew, temperature, topK, topP, seed, stop, noEos, noCache, dtype,
        };
        command.SetAction((parse, ct) =>
        {
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                Sampling = new SamplingOptions
                {
                    Temperature = parse.GetValue(temperature),
                    TopK = parse.GetResult(topK) is not null ? parse.GetValue(topK) : null,
                    TopP = parse.GetValue(topP),
                    Seed = parse.GetValue(seed),
                },
                StopStrings = (parse.GetValue(stop) ?? []).Select(s => s.Replace("\\n", "\n", StringComparison.Ordinal)).ToArray(),
                StopAtEos = !parse.GetValue(noEos),
                UseCache = !parse.GetValue(noCache),
                OnToken = token => Console.Write(token.Text),
            }.Validate();
            return RunAsync(parse.GetValue(model)!, CliOptions.Hub(parse, revision), parse.GetValue(text)!, options,
                OptionNames.Parse<ModelDType>(parse.GetValue(dtype)!), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string model, Loading.Hub.HubOptions hub, string text, GenerationOptions options, ModelDType dtype,
        CancellationToken ct)
    {
        using var m = await TerminalProgress.RunAsync(false,
                progress => ModelSource.LoadAsync(model, WeightProcessing.Default, hub: hub, progress: progress, dtype: dtype, ct: ct))
            .ConfigureAwait(false);
        Console.Write(text);
        var clock = Stopwatch.StartNew();
        var completion = m.Generate(text, options);
        clock.Stop();
        Console.WriteLine();
        string end = completion.End switch
        {
            CompletionEnd.StopToken => "stopped at the end-of-sequence token",
            CompletionEnd.StopString => "stopped at a stop string",
            _ => $"reached --max-new-tokens {options.MaxNewTokens}",
        };
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{m.Config.Name}, {OptionNames.Name(dtype)}: {completion.Tokens.Length} tokens in {clock.Elapsed.TotalSeconds:F2} s " +
            $"({completion.Tokens.Length / clock.Elapsed.TotalSeconds:F1} tokens/s, {(options.UseCache ? "cached" : "no cache")}); {end}]"));
        return 0;
    }
}
