using System.Reflection;

namespace IclNotebook;

/// <summary>
/// The kit's version: one number, set once (<c>Version</c> in Directory.Build.props), stamped into both packages, printed by
/// <c>icl --version</c> and recorded in every results.json's tool block. CHANGELOG.md says what each version added.
/// </summary>
public static class KitVersion
{
    /// <summary>The version without build metadata, e.g. <c>0.9.0</c>.</summary>
    public static string Current { get; } =
        typeof(KitVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
