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
            sb.Append($"<div><b>[{i}]</b> {TokenHtml.Render(Strings(batch, batch.Ids[i]), batch.Ids[i])}</div>");
        return sb.ToString();
    }

    public static string Text(TokenBatch batch)
    {
        var sb = new StringBuilder($"{batch.Count} sequences, lengths {string.Join(", ", batch.Lengths)}\n");
        for (int i = 0; i < batch.Count; i++)
            sb.Append($"[{i}] ").Append(string.Join("|", Strings(batch, batch.Ids[i]).Select(TokenHtml.Visible))).Append('\n');
        return sb.ToString();
    }

    /// <summary>Each token as the batch's tokenizer splits it; the bare id when the batch was given as ids.</summary>
    internal static List<string> Strings(TokenBatch batch, int[] ids) =>
        ids.Select(id => batch.Tokenizer?.Decode(id) ?? $"[{id}]").ToList();
}
