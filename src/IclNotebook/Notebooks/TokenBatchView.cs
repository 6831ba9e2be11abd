using System.Globalization;
using System.Text;
using IclNotebook.Tokenization;

namespace IclNotebook.Notebooks;

/// <summary>A token batch as rows of coloured tokens (HTML) or of bracketed token strings (text).</summary>
internal static class TokenBatchView
{
    public static string Html(TokenBatch batch)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        string lengths = string.Join(", ", batch.Lengths);
        sb.Append(CultureInfo.InvariantCulture, $"<p>{batch.Count} sequences, lengths {lengths} (padded with id {batch.PadId}).</p>");
        for (int i = 0; i < batch.Count; i++)
        {
            string tokens = TokenHtml.Render(Strings(batch, batch.Ids[i]), batch.Ids[i]);
            sb.Append(CultureInfo.InvariantCulture, $"<div><b>[{i}]</b> {tokens}</div>");
        }
        return sb.ToString();
    }

    public static string Text(TokenBatch batch)
    {
        var sb = new StringBuilder($"{batch.Count} sequences, lengths {string.Join(", ", batch.Lengths)}\n");
        for (int i = 0; i < batch.Count; i++)
            sb.Append('[').Append(i.ToString(CultureInfo.InvariantCulture)).Append("] ")
              .Append(string.Join("|", Strings(batch, batch.Ids[i]).Select(TokenHtml.Visible))).Append('\n');
        return sb.ToString();
    }

    /// <summary>Each token as the batch's tokenizer splits it; the bare id when the batch was given as ids.</summary>
    internal static List<string> Strings(TokenBatch batch, int[] ids) =>
        ids.Select(id => batch.Tokenizer?.Decode(id) ?? $"[{id}]").ToList();
}
