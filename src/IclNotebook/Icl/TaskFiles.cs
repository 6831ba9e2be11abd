namespace IclNotebook.Icl;

/// <summary>Finds the task files shipped in the repository's data/tasks folder.</summary>
public static class TaskFiles
{
    /// <summary>data/tasks/{name}.json, searched from the working directory and the program's folder upwards.</summary>
    public static string Default(string name)
    {
        string relative = Path.Combine("data", "tasks", name + ".json");
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new IclException($"Task file {relative} not found above {Environment.CurrentDirectory}; give the path of a task file instead (--task in icl analyze, ICL_TASK in the notebooks).");
    }
}
