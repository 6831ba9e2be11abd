using System.Text;
using IclNotebook.Tokenization;

namespace IclNotebook.Notebooks;

/// <summary>A token batch as rows of coloured tokens (HTML) or of bracketed token strings (text).</summary>
internal static class TokenBatchView
{
    public static string Html(TokenBatch batch)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        sb.Append($"<p>{batch.Count} sequences, lengths {string.Join(", ", batch.Lengths)} (padded with id {batch.PadId}).</p>");
        for (int i = 0; i < batch.Count; i++)
            sb.Append($"<div><b>[{i}]</b> {TokenHtml.Render(batch.Ids[i].Select(id => Gpt2Tokenizer.Instance.Decode(id)).ToList(), batch.Ids[i])}</div>");
        return sb.ToString();
    }

    public static string Text(TokenBatch batch)
    {
        var sb = new StringBuilder($"{batch.Count} sequences, lengths {string.Join(", ", batch.Lengths)}\n");
        for (int i = 0; i < batch.Count; i++)
            sb.Append($"[{i}] ").Append(string.Join("|", batch.Ids[i].Select(id => TokenHtml.Visible(Gpt2Tokenizer.Instance.Decode(id))))).Append('\n');
        return sb.ToString();
    }
}
