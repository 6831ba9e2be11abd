namespace IclNotebook;

/// <summary>
/// Finds the shipped data (task files, datasets, the toy model) under a <c>data/</c> folder, searched upwards from, in
/// order: the working directory (a user's own <c>data/</c>, or a checkout of the repository: they win), the program's
/// folder (where the package's build targets and the <c>icl</c> tool put their copy) and this library's own folder (the
/// NuGet package's root, for a notebook's <c>#r "nuget: IclNotebook"</c>, which loads the library from the package cache).
/// </summary>
public static class RepositoryData
{
    /// <summary>
    /// The first existing <c>data/{relative}</c> (file or folder) above the working directory, the program's folder or the
    /// library's folder; null when there is none.
    /// </summary>
    public static string? Find(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        string path = Path.Combine("data", relative);
        foreach (var start in Starts())
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, path);
                if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    private static IEnumerable<string> Starts()
    {
        yield return Environment.CurrentDirectory;
        yield return AppContext.BaseDirectory;
        var library = Path.GetDirectoryName(typeof(RepositoryData).Assembly.Location);
        if (!string.IsNullOrEmpty(library)) yield return library;
    }
}
