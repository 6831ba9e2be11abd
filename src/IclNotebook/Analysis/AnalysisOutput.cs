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
            var figures = result.Results.Select(r => (r.Target, PatchPlots.Plot(r)))
                .Concat(result.Attribution.Select(r => ("attribution_" + r.Target, PatchPlots.Plot(r))));
            OutputFolder.WriteFigures(temp, figures, warnings);
            File.WriteAllText(Path.Combine(temp, "report.html"), ReportHtml.Render(result));
        });
    }
}
