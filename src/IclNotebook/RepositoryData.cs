namespace IclNotebook;

/// <summary>
/// Finds what this repository ships under <c>data/</c> (task files, the toy model): the path is
/// searched from the working directory and from the program's folder upwards, so the CLI, the
/// notebooks and the tests find the same files wherever they run inside a checkout.
/// </summary>
public static class RepositoryData
{
    /// <summary>
    /// The first existing <c>data/{relative}</c> (file or folder) above the working directory or the program's folder; null
    /// when there is none.
    /// </summary>
    public static string? Find(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        string path = Path.Combine("data", relative);
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, path);
                if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
            }
        return null;
    }
}
