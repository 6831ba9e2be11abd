namespace IclNotebook.Runtime;

/// <summary>
/// The project's own cache folder: <c>$ICL_CACHE</c>, else <c>$XDG_CACHE_HOME/iclnotebook</c>,
/// else <c>~/.cache/iclnotebook</c>. Nothing outside it is ever written by the runtime fix.
/// </summary>
public static class CacheFolders
{
    public static string Root
    {
        get
        {
            var explicitRoot = Environment.GetEnvironmentVariable("ICL_CACHE");
            if (!string.IsNullOrEmpty(explicitRoot)) return Path.GetFullPath(explicitRoot);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var baseDir = !string.IsNullOrEmpty(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(baseDir, "iclnotebook");
        }
    }

    public static string Native => Path.Combine(Root, "native");
}
