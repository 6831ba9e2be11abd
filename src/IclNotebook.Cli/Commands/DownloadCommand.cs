using System.CommandLine;
using IclNotebook.Loading.Hub;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl download M</c>: fetch config.json and model.safetensors into the HF cache.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl or distilgpt2", HelpName = "M" };
        model.CompletionSources.Add([.. CliOptions.KnownModels]);
        var command = new Command("download", """
            Fetch a model into the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else
            ~/.cache/huggingface/hub), verified by size and sha256; an interrupted download resumes.
            HF_ENDPOINT selects a mirror, HF_TOKEN authenticates, HF_HUB_OFFLINE=1 forbids the network.
            """) { model };
        command.SetAction(async (parse, ct) =>
        {
            var folder = await TerminalProgress.RunAsync(false, progress =>
                ModelLocator.ResolveAsync(parse.GetValue(model)!, HubOptions.FromEnvironment(), progress, ct)).ConfigureAwait(false);
            Console.WriteLine(folder);
            return 0;
        });
        return command;
    }
}
