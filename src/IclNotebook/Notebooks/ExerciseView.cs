using System.Text;
using IclNotebook.Teaching;

namespace IclNotebook.Notebooks;

/// <summary>
/// An exercise's check as one coloured line (green ✔ right, red ✘ wrong, grey … not done yet), the message kept as written
/// (several lines where it quotes the student's text); a summary as the counts and a line per exercise.
/// </summary>
internal static class ExerciseView
{
    public static string Html(ExerciseCheck check) =>
        $"<div style=\"{Style(check.Outcome)};padding:4px 8px;border-radius:4px;font-family:monospace;white-space:pre-wrap\">{TokenHtml.E(check.ToString())}</div>";

    public static string Html(ExerciseSummary summary)
    {
        var html = new StringBuilder();
        html.Append("<div><b>").Append(TokenHtml.E($"{summary.Right} of {summary.Checks.Count} exercises right, {summary.Wrong} wrong, {summary.NotDone} not done yet"))
            .Append("</b></div>");
        foreach (var check in summary.Checks) html.Append(Html(check));
        return html.ToString();
    }

    private static string Style(CheckOutcome outcome) => outcome switch
    {
        CheckOutcome.Right => "color:#135f13;background:#e7f6e7",
        CheckOutcome.Wrong => "color:#8a1414;background:#fbe9e9",
        _ => "color:#555;background:#f1f1f1",
    };
}
