using System.Globalization;
using System.Text;
using IclNotebook.Patching;

namespace IclNotebook.Notebooks;

/// <summary>
/// A patching setup as its baselines: per prompt, where the metric reads and the answer's log-probability on clean and
/// corrupted prompts.
/// </summary>
internal static class SetupView
{
    public static string Html(PatchingSetup s)
    {
        var sb = new StringBuilder(TokenHtml.Style);
        sb.Append($"<p>Baselines of <code>{TokenHtml.E(s.Metric.Description)}</code>{Replay(s)}. " +
                  $"Clean mean <b>{TokenHtml.N(s.CleanBaseline)}</b>{Probability(s, s.CleanBaseline)}, " +
                  $"corrupted mean <b>{TokenHtml.N(s.CorruptedBaseline)}</b>{Probability(s, s.CorruptedBaseline)}. " +
                  "A patch scores 1 when it brings the corrupted run back to the clean mean, 0 when it changes nothing.</p>");
        sb.Append("<table class=\"icl-table\"><tr><th>#</th><th>answer id</th><th>read at</th>" +
                  "<th class=\"icl-num\">clean</th><th class=\"icl-num\">corrupted</th><th class=\"icl-num\">drop</th></tr>");
        foreach (var r in Rows(s))
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{r.I}</td><td>{r.Answer}</td><td>{r.Read}</td>" +
                      $"<td class=\"icl-num\">{TokenHtml.N(r.Clean)}</td><td class=\"icl-num\">{TokenHtml.N(r.Corrupted)}</td>" +
                      $"<td class=\"icl-num\">{TokenHtml.N(r.Clean - r.Corrupted)}</td></tr>");
        return sb.Append("</table>").ToString();
    }

    public static string Text(PatchingSetup s)
    {
        var sb = new StringBuilder($"Baselines of {s.Metric.Description}{Replay(s)}: clean {TokenHtml.N(s.CleanBaseline)}, " +
                                   $"corrupted {TokenHtml.N(s.CorruptedBaseline)} {OptionNames.Name(s.Metric.Unit)}\n");
        sb.Append("  #  answer  read at         clean        corrupted\n");
        foreach (var r in Rows(s))
            sb.Append(CultureInfo.InvariantCulture,
                $"  {r.I,-2} {r.Answer,7} {r.Read,8} {TokenHtml.N(r.Clean),13} {TokenHtml.N(r.Corrupted),16}\n");
        return sb.ToString();
    }

    /// <summary>Says how the corrupted prompts were built when that is not the default.</summary>
    private static string Replay(PatchingSetup s) =>
        s.Replay == Icl.CorruptionReplay.Sequential ? ", corruption replayed sequentially (the Colab's loop)" : "";

    private static string Probability(PatchingSetup s, double value) =>
        s.Metric.WrongAnswerIds is null
            ? $" nats (P = {Math.Exp(value).ToString(Math.Exp(value) >= 1e-3 ? "P1" : "0.0E+0", CultureInfo.InvariantCulture)})"
            : $" {OptionNames.Name(s.Metric.Unit)}";

    private static IEnumerable<(int I, int Answer, int Read, double Clean, double Corrupted)> Rows(PatchingSetup s) =>
        Enumerable.Range(0, s.CleanPerPrompt.Count)
            .Select(i => (i, s.Metric.AnswerIds[i], s.Metric.ReadPositions[i], s.CleanPerPrompt[i], s.CorruptedPerPrompt[i]));
}
