namespace IclNotebook;

/// <summary>
/// The command-line and results.json names of an option enum's values: its member names in
/// kebab case (<c>MetricRead.LastColumn</c> is <c>last-column</c>), one mechanism for every such
/// switch.
/// </summary>
public static class OptionNames
{
    /// <summary>Every name of <typeparamref name="T"/>, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToArray();

    /// <summary>The name of <paramref name="value"/>, e.g. "last-column".</summary>
    public static string Name<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>The value named <paramref name="name"/>; an unknown name is an error listing the valid ones.</summary>
    public static T Parse<T>(string name) where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
            if (Name(value) == name) return value;
        throw new IclException($"Unknown {typeof(T).Name} '{name}'. Names: {string.Join(", ", All<T>())}.");
    }
}
