namespace IclNotebook.Icl;

/// <summary>Finds the task files shipped in data/tasks (the repository's, or the package's: <see cref="RepositoryData"/>).</summary>
public static class TaskFiles
{
    /// <summary>
    /// data/tasks/{name}.json, searched from the working directory and the program's folder upwards
    /// (<see cref="RepositoryData"/>).
    /// </summary>
    public static string Default(string name) =>
        RepositoryData.Find(Path.Combine("tasks", name + ".json"))
        ?? throw new IclException($"Task file {Path.Combine("data", "tasks", name + ".json")} not found above {Environment.CurrentDirectory}; " +
            "give the path of a task file instead (--task in icl analyze, ICL_TASK in the notebooks).");

    /// <summary>
    /// <paramref name="path"/>; for a relative <c>data/...</c> path that does not exist from the working directory, the
    /// shipped file (<see cref="RepositoryData"/>): a notebook's kernel runs in notebooks/, the CLI anywhere in the checkout,
    /// and both read <c>data/tasks/x.json</c> the same way; for a bare name such as <c>associative-recall</c> that is no file
    /// here, the shipped task of that name (<c>data/tasks/associative-recall.json</c>).
    /// </summary>
    public static string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path) || Path.IsPathRooted(path)) return path;
        var parts = path.Replace('\\', '/').Split('/', 2);
        if (parts is ["data", var rest] && RepositoryData.Find(rest) is { } found) return found;
        if (parts.Length == 1 && !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            && RepositoryData.Find(Path.Combine("tasks", path + ".json")) is { } named) return named;
        return path;
    }
}
