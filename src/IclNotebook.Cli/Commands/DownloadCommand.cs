using IclNotebook.Loading.Hub;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl download M</c>: fetch config.json and model.safetensors into the HF cache.</summary>
public static class DownloadCommand
{
    private const string Help = """
        icl download M

          M   gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl or distilgpt2
        Files go to the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else
        ~/.cache/huggingface/hub), verified by size and sha256; an interrupted download resumes.
        HF_ENDPOINT selects a mirror, HF_TOKEN authenticates, HF_HUB_OFFLINE=1 forbids the network.
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var cl = new CommandLine(args, new HashSet<string> { "help" });
        if (cl.Flag("help")) { Console.WriteLine(Help); return 0; }
        cl.RejectUnknown("download");
        if (cl.Positional.Count != 1) throw new IclException("icl download needs exactly one model name, e.g. 'icl download gpt2'.");
        var folder = await ModelLocator.ResolveAsync(cl.Positional[0], HubOptions.FromEnvironment(), new ConsoleProgress(), ct);
        Console.WriteLine(folder);
        return 0;
    }
}
