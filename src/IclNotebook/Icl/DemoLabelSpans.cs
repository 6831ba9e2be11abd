using System.Text.RegularExpressions;

namespace IclNotebook.Icl;

/// <summary>Where each demonstration's label sits in a prompt's text (character spans), as the prompt builder lays the demos out.</summary>
internal static partial class DemoLabelSpans
{
    /// <summary>
    /// (demo index, start, length) of every <c>{label}</c> substitution in the joined demo lines of query
    /// <paramref name="query"/>'s prompt, in prompt order; a prompt starts with these lines (then the separator and the query).
    /// </summary>
    public static IReadOnlyList<(int Demo, int Start, int Length)> Find(IclTask task, int query = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        var spans = new List<(int, int, int)>();
        var demos = task.DemosOf(query);
        int offset = 0;
        for (int d = 0; d < demos.Count; d++)
        {
            if (d > 0) offset += task.Separator.Length;
            var demo = demos[d];
            int at = 0, written = 0;
            foreach (Match m in Placeholder().Matches(task.DemoTemplate))
            {
                written += m.Index - at;                                   // literal text before the placeholder
                string value = m.Value == IclTemplate.Input ? demo.Input : demo.Label;
                if (m.Value == IclTemplate.Label) spans.Add((d, offset + written, value.Length));
                written += value.Length;
                at = m.Index + m.Length;
            }
            written += task.DemoTemplate.Length - at;
            if (written != task.FormatDemo(demo).Length) throw new InvalidOperationException("Demo layout and FormatDemo disagree.");
            offset += written;
        }
        return spans;
    }

    [GeneratedRegex(@"\{(?:input|label)\}")]
    private static partial Regex Placeholder();
}
