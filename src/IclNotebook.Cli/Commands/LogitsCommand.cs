using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl logits</c>: the model's next-token prediction after the last token of a text.</summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var revision = CliOptions.Revision();
        var text = new Option<string>("--text")
        {
            Description = "the text; BOS is prepended as TransformerLens does",
            Required = true,
            HelpName = "T",
        };
        var top = CliOptions.PositiveInt("--top", "how many candidates to show", 10, "K");
        var raw = new Option<bool>("--raw")
        {
            Description = "raw checkpoint weights instead of TransformerLens's default processing " +
                "(log-probs are identical; logits differ by a constant per position)",
        };
        var json = new Option<bool>("--json") { Description = "print {\"tokens\":[ids], \"top\":[{\"id\",\"token\",\"logit\",\"logprob\"}]}" };
        var command = new Command("logits", "The model's next-token prediction after the last token of a text.")
        {
            model, revision, text, top, raw, json,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(model)!, CliOptions.Hub(parse, revision), parse.GetValue(text)!,
            parse.GetValue(top), parse.GetValue(raw), parse.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunAsync(string model, Loading.Hub.HubOptions hub, string text, int top, bool rawWeights, bool json,
        CancellationToken ct)
    {
        var processing = rawWeights ? WeightProcessing.Raw : WeightProcessing.Default;
        using var m = await TerminalProgress.RunAsync(false,
            progress => ModelSource.LoadAsync(model, processing, hub: hub, progress: progress, ct: ct)).ConfigureAwait(false);
        var tokenizer = m.Tokenizer;
        var batch = tokenizer.ToTokens([text]);
        using var scope = NewDisposeScope();
        var logits = m.Run(batch.ToTensor(), new ForwardOptions { UnembedPositions = tensor(new long[] { batch.LastPositions[0] }) })[0]; // [d_vocab]
        var logProbs = logits.log_softmax(-1);
        var (values, indices) = logits.topk(Math.Min(top, (int)logits.shape[0]));
        var ids = indices.data<long>().ToArray();
        var rows = ids.Select((id, i) => new TopToken(id, tokenizer.Decode((int)id), values[i].item<float>(), logProbs[id].item<float>())).ToArray();

        if (json)
        {
            var candidates = rows.Select(r => new { id = r.Id, token = r.Token, logit = r.Logit, logprob = r.LogProb });
            Console.WriteLine(JsonSerializer.Serialize(new { tokens = batch.Ids[0], top = candidates }));
            return 0;
        }
        string weights = processing == WeightProcessing.Raw ? "raw weights" : "TransformerLens-processed weights";
        Console.WriteLine($"Model: {m.Config.Name} ({weights}), {batch.Lengths[0]} tokens; " +
            $"next token after '{tokenizer.Decode(batch.Ids[0][^1])}':");
        Console.WriteLine($"{"rank",4}  {"id",6}  {"token",-16} {"logit",9} {"logprob",9} {"prob",7}");
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{i + 1,4}  {r.Id,6}  {Quote(r.Token),-16} {r.Logit,9:F3} {r.LogProb,9:F3} {Math.Exp(r.LogProb),7:P2}"));
        }
        return 0;
    }

    private static string Quote(string token) => "'" + token.Replace("\n", "\\n", StringComparison.Ordinal) + "'";

    private sealed record TopToken(long Id, string Token, float Logit, float LogProb);
}
