namespace IclNotebook.Sweeps;

/// <summary>Which task files a sweep runs: the shipped datasets, a folder's, or a list.</summary>
public static class SweepTasks
{
    /// <summary>The folder of the shipped Function Vectors datasets, or null outside a checkout that has it.</summary>
    public static string? ShippedFolder => RepositoryData.Find(Path.Combine("datasets", "function-vectors"));

    /// <summary>
    /// The task files <paramref name="spec"/> names: <c>shipped</c> (the 47 Function Vectors datasets), a folder (its
    /// <c>*.json</c>, subfolders included, sorted), or a comma list of files and shipped dataset names (<c>antonym</c>).
    /// Every file must exist, and no task name may appear twice (each gets its own folder).
    /// </summary>
    public static IReadOnlyList<string> Resolve(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        List<string> files;
        if (spec == "shipped") files = Folder(ShippedFolder ?? throw NoShipped());
        else if (Directory.Exists(spec)) files = Folder(spec);
        else files = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(One).ToList();
        if (files.Count == 0) throw new IclException($"--tasks {spec}: no task files there (a folder needs *.json files).");
        var twice = files.GroupBy(Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new IclException($"--tasks {spec}: two tasks are named '{twice.Key}' ({string.Join(", ", twice)}); each task gets a folder " +
                "of its name, so give them different file names.");
        return files;
    }

    /// <summary>A task's folder name within the sweep: its file name without .json.</summary>
    public static string Name(string file) => Path.GetFileNameWithoutExtension(file);

    private static List<string> Folder(string folder) =>
        Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "manifest.json")
            .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();

    private static string One(string item)
    {
        if (File.Exists(item)) return Path.GetFullPath(item);
        var shipped = ShippedFolder is { } folder ? Folder(folder).FirstOrDefault(f => Name(f) == item) : null;
        return shipped ?? throw new IclException($"--tasks: '{item}' is neither a file nor a shipped dataset's name " +
            "(e.g. antonym, country-capital; 'shipped' runs all 47).");
    }

    private static IclException NoShipped() =>
        new("--tasks shipped: the Function Vectors datasets (data/datasets/function-vectors) are not found above the working directory; " +
            "run from the repository, or give the task files or a folder.");
}
