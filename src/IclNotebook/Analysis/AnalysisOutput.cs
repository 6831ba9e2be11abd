using IclNotebook.Plots;

namespace IclNotebook.Analysis;

/// <summary>
/// Writes an analysis folder (results.json, report.html, one .html and .png per figure) through
/// <see cref="OutputFolder"/>: it appears only when complete.
/// </summary>
public static class AnalysisOutput
{
    /// <summary>Throws if <paramref name="folder"/> exists and <paramref name="force"/> is false (call before running).</summary>
    public static void CheckTarget(string folder, bool force) => OutputFolder.CheckTarget(folder, force);

    /// <summary>Writes the folder; PNG figures need Chromium (see <see cref="PngExport"/>), and are skipped with a warning on <paramref name="warnings"/> without it.</summary>
    public static void Write(AnalysisResult result, string folder, bool force, string toolVersion, Action<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        OutputFolder.Write(folder, force, temp =>
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
        });
    }
}
