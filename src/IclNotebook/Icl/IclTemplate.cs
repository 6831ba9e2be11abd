using System.Text.RegularExpressions;

namespace IclNotebook.Icl;

/// <summary>
/// The <c>{input}</c> / <c>{label}</c> placeholders of task templates. Substitution is one pass,
/// so an input that itself contains "{label}" is left as written. A lone brace is plain text.
/// </summary>
internal static partial class IclTemplate
{
    public const string Input = "{input}";
    public const string Label = "{label}";

    /// <summary>Every <c>{...}</c> in a template, as written (e.g. <c>{lable}</c>).</summary>
    public static IEnumerable<string> Placeholders(string template) =>
        PlaceholderRegex().Matches(template).Select(m => m.Value);

    public static bool Uses(string template, string placeholder) => Placeholders(template).Contains(placeholder, StringComparer.Ordinal);

    public static string Format(string template, string input, string label) =>
        KnownRegex().Replace(template, m => m.Value == Input ? input : label);

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"\{(?:input|label)\}")]
    private static partial Regex KnownRegex();
}
