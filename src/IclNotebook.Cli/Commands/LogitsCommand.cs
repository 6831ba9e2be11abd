using System.Globalization;
using System.Text.Json;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl logits</c>: the model's next-token prediction after the last token of a text.</summary>
public static class LogitsCommand
{
    private const string Help = """
        icl logits --model M --text T [--top K] [--raw] [--json]

          --model M   gpt2 (default), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, or a model folder
          --text T    the text; BOS is prepended as TransformerLens does
          --top K     how many candidates to show (default 10)
          --raw       raw checkpoint weights instead of TransformerLens's default processing
                      (log-probs are identical; logits differ by a constant per position)
          --json      print {"tokens":[ids], "top":[{"id","token","logit","logprob"}]}
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var cl = new CommandLine(args, new HashSet<string> { "raw", "json", "help" });
        if (cl.Flag("help")) { Console.WriteLine(Help); return 0; }
        string model = cl.Get("model", "gpt2");
        string text = cl.Get("text") ?? throw new IclException("icl logits needs --text \"...\". Run 'icl logits --help'.");
        int top = cl.GetInt("top", 10);
        var processing = cl.Flag("raw") ? WeightProcessing.Raw : WeightProcessing.Default;
        bool json = cl.Flag("json");
        cl.RejectUnknown("logits");
        if (cl.Positional.Count > 0) throw new IclException($"Unexpected argument '{cl.Positional[0]}'; quote the text and pass it with --text.");

        using var m = await ModelSource.LoadAsync(model, processing, progress: new ConsoleProgress(), ct: ct);
        var tokenizer = Gpt2Tokenizer.Instance;
        var batch = tokenizer.ToTokens([text]);
        using var scope = NewDisposeScope();
        var logits = m.Run(batch.ToTensor(), new ForwardOptions { UnembedPositions = tensor(new long[] { batch.LastPositions[0] }) })[0]; // [d_vocab]
        var logProbs = logits.log_softmax(-1);
        var (values, indices) = logits.topk(Math.Min(top, (int)logits.shape[0]));
        var ids = indices.data<long>().ToArray();
        var rows = ids.Select((id, i) => new TopToken(id, tokenizer.Decode((int)id), values[i].item<float>(), logProbs[id].item<float>())).ToArray();

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { tokens = batch.Ids[0], top = rows.Select(r => new { id = r.Id, token = r.Token, logit = r.Logit, logprob = r.LogProb }) }));
            return 0;
        }
        Console.WriteLine($"Model: {m.Config.Name} ({(processing == WeightProcessing.Raw ? "raw weights" : "TransformerLens-processed weights")}), {batch.Lengths[0]} tokens; next token after '{tokenizer.Decode(batch.Ids[0][^1])}':");
        Console.WriteLine($"{"rank",4}  {"id",6}  {"token",-16} {"logit",9} {"logprob",9} {"prob",7}");
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i + 1,4}  {r.Id,6}  {Quote(r.Token),-16} {r.Logit,9:F3} {r.LogProb,9:F3} {Math.Exp(r.LogProb),7:P2}"));
        }
        return 0;
    }

    private static string Quote(string token) => "'" + token.Replace("\n", "\\n", StringComparison.Ordinal) + "'";

    private sealed record TopToken(long Id, string Token, float Logit, float LogProb);
}
