using System.Globalization;
using System.Text;
using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.Notebooks;

/// <summary>
/// A prompt set as the walkthrough shows it: per query, the answer and both prompts as coloured
/// tokens, with the corrupted prompt's swapped labels outlined in red.
/// </summary>
internal static class PromptSetView
{
    public static string Html(IclPromptSet p)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        sb.Append($"<p><b>{TokenHtml.E(p.TaskName)}</b>: {p.Count} prompt pairs, {p.CleanTokens.MaxLength} tokens at most, " +
                  $"corruption <code>{p.CorruptionKind}</code> replayed {OptionNames.Name(p.Replay)}. " +
                  "Clean demonstrations carry their true labels; in the corrupted prompts they are swapped (outlined red). " +
                  "Hover a token for its position and id.</p>");
        sb.Append("<table class=\"icl-table\"><tr><th>#</th><th>answer</th><th>tokens</th><th>clean / corrupted prompt</th></tr>");
        for (int i = 0; i < p.Count; i++)
        {
            var clean = p.CleanTokens.Ids[i];
            var corrupted = p.CorruptedTokens.Ids[i];
            var diff = Differences(clean, corrupted);
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td rowspan=\"2\">{i}</td>" +
                      $"<td rowspan=\"2\">{TokenHtml.E(p.AnswerLabels[i])} <small>(id {p.AnswerTokenIds[i]})</small></td>" +
                      $"<td rowspan=\"2\" class=\"icl-num\">{clean.Length}</td>");
            string cleanTail = TokenHtml.E(Tail(p.CleanPrompts[i]));
            var cleanStrings = TokenBatchView.Strings(p.CleanTokens, clean);
            string cleanHtml = TokenHtml.Render(cleanStrings, clean, null, clean.Length - 1);
            sb.Append(CultureInfo.InvariantCulture, $"<td><details><summary>clean: …{cleanTail}</summary>{cleanHtml}</details></td></tr>");
            string corruptedTail = TokenHtml.E(Tail(p.CorruptedPrompts[i]));
            var corruptedStrings = TokenBatchView.Strings(p.CorruptedTokens, corrupted);
            string corruptedHtml = TokenHtml.Render(corruptedStrings, corrupted, diff, corrupted.Length - 1);
            string corruptedSummary = string.Create(CultureInfo.InvariantCulture, $"corrupted ({diff.Count} tokens differ): …{corruptedTail}");
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td><details><summary>{corruptedSummary}</summary>{corruptedHtml}</details></td></tr>");
        }
        return sb.Append("</table>").ToString();
    }

    public static string Text(IclPromptSet p)
    {
        var sb = new StringBuilder($"{p.TaskName}: {p.Count} prompt pairs, {p.CleanTokens.MaxLength} tokens at most, " +
                                   $"corruption {p.CorruptionKind} replayed {OptionNames.Name(p.Replay)}\n");
        for (int i = 0; i < p.Count; i++)
        {
            var diff = Differences(p.CleanTokens.Ids[i], p.CorruptedTokens.Ids[i]);
            sb.Append(CultureInfo.InvariantCulture, $"\n[{i}] answer \"{p.AnswerLabels[i]}\" (id {p.AnswerTokenIds[i]}), " +
                      $"{p.CleanTokens.Ids[i].Length} tokens, {diff.Count} differ after corruption\n");
            sb.Append("  clean:     ").Append(Indent(p.CleanPrompts[i])).Append('\n');
            sb.Append("  corrupted: ").Append(Indent(p.CorruptedPrompts[i])).Append('\n');
        }
        return sb.ToString();
    }

    internal static HashSet<int> Differences(int[] a, int[] b) =>
        Enumerable.Range(0, Math.Min(a.Length, b.Length)).Where(i => a[i] != b[i]).ToHashSet();

    private static string Tail(string prompt)
    {
        var lines = prompt.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? "" : lines[^1];
    }

    private static string Indent(string prompt) => prompt.Replace("\n", "\n             ", StringComparison.Ordinal);
}
