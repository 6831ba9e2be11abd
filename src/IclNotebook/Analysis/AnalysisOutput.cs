using IclNotebook.Plots;

namespace IclNotebook.Analysis;

/// <summary>
/// Writes an analysis folder (results.json, report.html, one .html per figure) into a temporary
/// sibling folder and moves it into place at the end: a failed or interrupted run leaves no
/// half-written output folder. An existing folder is replaced only with <c>force</c>.
/// </summary>
public static class AnalysisOutput
{
    /// <summary>Throws if <paramref name="folder"/> exists and <paramref name="force"/> is false (call before running).</summary>
    public static void CheckTarget(string folder, bool force)
    {
        if (Directory.Exists(folder) && !force)
            throw new IclException($"Output folder {Path.GetFullPath(folder)} already exists; choose another --out or pass --force to replace it.");
        if (File.Exists(folder))
            throw new IclException($"Output path {Path.GetFullPath(folder)} is a file; choose a folder for --out.");
    }

    public static void Write(AnalysisResult result, string folder, bool force, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(result);
        CheckTarget(folder, force);
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            File.WriteAllText(Path.Combine(temp, "results.json"), ResultsJson.Serialize(result, toolVersion));
            foreach (var r in result.Results)
                ChartExport.SaveHtml(PatchPlots.Plot(r), Path.Combine(temp, $"{r.Target}.html"));
            foreach (var r in result.Attribution)
                ChartExport.SaveHtml(PatchPlots.Plot(r), Path.Combine(temp, $"attribution_{r.Target}.html"));
            File.WriteAllText(Path.Combine(temp, "report.html"), ReportHtml.Render(result));
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true); // only reached with force
            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }
}
