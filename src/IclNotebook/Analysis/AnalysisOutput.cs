using IclNotebook.Plots;

namespace IclNotebook.Analysis;

/// <summary>
/// Writes an analysis folder (results.json, report.html, one .html and .png per figure) into a temporary
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

    /// <summary>Writes the folder; PNG figures need Chromium (see <see cref="PngExport"/>), and are skipped with a warning on <paramref name="warnings"/> without it.</summary>
    public static void Write(AnalysisResult result, string folder, bool force, string toolVersion, Action<string>? warnings = null)
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
            bool png = PngExport.FindChromium() is not null;
            if (!png) warnings?.Invoke("PNG figures skipped: Chromium is not installed (Debian: apt-get install chromium, or set ICL_CHROMIUM); the .html figures are complete.");
            foreach (var (r, name) in result.Results.Select(r => (r, r.Target)).Concat(result.Attribution.Select(r => (r, "attribution_" + r.Target))))
            {
                var chart = PatchPlots.Plot(r);
                ChartExport.SaveHtml(chart, Path.Combine(temp, $"{name}.html"));
                if (png) PngExport.SavePng(chart, Path.Combine(temp, $"{name}.png"), 1400, r.Shape.Count == 2 && r.Axes[^1] == "Pos" ? 600 : 560);
            }
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
