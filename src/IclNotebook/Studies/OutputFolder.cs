using IclNotebook.Plots;

namespace IclNotebook.Studies;

/// <summary>
/// An output folder written all at once: files go into a temporary sibling folder that is moved
/// into place at the end, so a failed or interrupted run leaves no half-written folder. An existing
/// folder is replaced only with <c>force</c>. Every command that writes results uses it.
/// </summary>
public static class OutputFolder
{
    /// <summary>Throws if <paramref name="folder"/> exists and <paramref name="force"/> is false (call before running).</summary>
    public static void CheckTarget(string folder, bool force)
    {
        if (Directory.Exists(folder) && !force)
            throw new IclException($"Output folder {Path.GetFullPath(folder)} already exists; choose another --out or pass --force to replace it.");
        if (File.Exists(folder))
            throw new IclException($"Output path {Path.GetFullPath(folder)} is a file; choose a folder for --out.");
    }

    /// <summary>Creates the folder's files with <paramref name="fill"/> (given the temporary folder), then moves it into place.</summary>
    public static void Write(string folder, bool force, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        CheckTarget(folder, force);
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true); // only reached with force
            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>An analysis's results.json text: <paramref name="document"/> serialised, indented.</summary>
    public static string Json(object document) => System.Text.Json.JsonSerializer.Serialize(document, Indented);

    /// <summary>
    /// The folder every analysis after the heatmap writes: results.json, its figures (.html, and .png
    /// with Chromium) and report.html, all or nothing.
    /// </summary>
    public static void WriteResults(string folder, bool force, string json, IReadOnlyList<(string Name, PlotlyFigure Figure)> figures,
            string html, Action<string>? warnings) =>
        Write(folder, force, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "results.json"), json);
            WriteFigures(temp, figures, warnings);
            File.WriteAllText(Path.Combine(temp, "report.html"), html);
        });

    /// <summary>
    /// Writes each figure as <c>{name}.html</c> and, where Chromium is installed, <c>{name}.png</c>;
    /// without it one warning goes to <paramref name="warnings"/> and the HTML figures are complete.
    /// <c>ICL_PNG=0</c> asks for the HTML figures only (each PNG starts Chromium once: about a second a figure).
    /// </summary>
    public static void WriteFigures(string folder, IEnumerable<(string Name, PlotlyFigure Figure)> figures, Action<string>? warnings)
    {
        ArgumentNullException.ThrowIfNull(figures);
        bool png = PngExport.Wanted && PngExport.FindChromium() is not null;
        if (!png && PngExport.Wanted)
            warnings?.Invoke("PNG figures skipped: Chromium is not installed (Debian: apt-get install chromium, or set ICL_CHROMIUM); " +
                "the .html figures are complete.");
        foreach (var (name, figure) in figures)
        {
            ChartExport.SaveHtml(figure, Path.Combine(folder, $"{name}.html"));
            if (png) PngExport.SavePng(figure, Path.Combine(folder, $"{name}.png"), figure.Width + 40, figure.Height + 40);
        }
    }
}
