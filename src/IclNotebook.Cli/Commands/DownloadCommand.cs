using System.CommandLine;
using IclNotebook.Loading.Hub;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl download M</c>: fetch a model's config, tokenizer and weights into the HF cache.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model")
        {
            Description = "a short name (gpt2 ..., pythia-160m ...) or a Hugging Face repository id (EleutherAI/pythia-160m)",
            HelpName = "M",
        };
        var revision = CliOptions.Revision();
        model.CompletionSources.Add([.. ModelLocator.KnownModels.Keys]);   // hub models: a shipped model needs no download
        var command = new Command("download", """
            Fetch a model (config.json, tokenizer, model.safetensors or every shard) into the Hugging Face
            cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub), verified by size and
            sha256; an interrupted download resumes. An unsupported model_type is refused before the weights.
            HF_ENDPOINT selects a mirror, HF_TOKEN authenticates, HF_HUB_OFFLINE=1 forbids the network.
            """) { model, revision };
        command.SetAction(async (parse, ct) =>
        {
            var folder = await TerminalProgress.RunAsync(false, progress =>
                ModelLocator.ResolveAsync(parse.GetValue(model)!, CliOptions.Hub(parse, revision), progress, ct)).ConfigureAwait(false);
            Console.WriteLine(folder);
            return 0;
        });
        return command;
    }
}
