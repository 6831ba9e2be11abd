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
}
