namespace IclNotebook.Icl;

/// <summary>Finds the task files shipped in the repository's data/tasks folder.</summary>
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
    /// <paramref name="path"/>, or for a relative <c>data/...</c> path that does not exist from the working
    /// directory, the repository's own file (<see cref="RepositoryData"/>): a notebook's kernel runs in
    /// notebooks/, the CLI anywhere in the checkout, and both read <c>data/tasks/x.json</c> the same way.
    /// </summary>
    public static string Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path) || Path.IsPathRooted(path)) return path;
        var parts = path.Replace('\\', '/').Split('/', 2);
        return parts is ["data", var rest] && RepositoryData.Find(rest) is { } found ? found : path;
    }
}
