using System.Diagnostics;

namespace IclNotebook.Plots;

/// <summary>
/// PNG images of charts, rendered by headless Chromium from the self-contained HTML (no network).
/// Chromium is found through <c>ICL_CHROMIUM</c>, else <c>chromium</c>, <c>chromium-browser</c> or
/// <c>google-chrome</c> on PATH (Debian: <c>apt-get install chromium</c>).
/// </summary>
public static class PngExport
{
    private static readonly string[] BrowserNames = ["chromium", "chromium-browser", "google-chrome"];

    /// <summary>
    /// False when <c>ICL_PNG</c> is <c>0</c>, <c>false</c>, <c>off</c> or <c>no</c>: output folders then hold HTML figures only
    /// (each PNG starts Chromium once, about a second a figure: a sweep of many tasks spends minutes on them).
    /// </summary>
    public static bool Wanted =>
        Environment.GetEnvironmentVariable("ICL_PNG")?.Trim().ToLowerInvariant() is not ("0" or "false" or "off" or "no");

    /// <summary>The Chromium executable, or null when none is installed.</summary>
    public static string? FindChromium()
    {
        var explicitPath = Environment.GetEnvironmentVariable("ICL_CHROMIUM");
        if (!string.IsNullOrEmpty(explicitPath)) return File.Exists(explicitPath) ? explicitPath : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return BrowserNames
            .SelectMany(name => path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Renders <paramref name="figure"/> to <paramref name="path"/> (temp file + rename).</summary>
    public static void SavePng(PlotlyFigure figure, string path, int width = 1400, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(figure);
        Screenshot(ChartExport.ToHtml(figure), path, width, height);
    }

    /// <summary>
    /// Opens the HTML page <paramref name="html"/> in headless Chromium (offline: background
    /// networking off) and writes a <paramref name="width"/> x <paramref name="height"/> screenshot
    /// to <paramref name="path"/> via a temp folder and rename.
    /// </summary>
    internal static void Screenshot(string html, string path, int width, int height)
    {
        var chromium = FindChromium()
            ?? throw new IclException("PNG export needs Chromium: install it (Debian: apt-get install chromium) or set ICL_CHROMIUM to its path.");
        var full = Path.GetFullPath(path);
        var work = Directory.CreateTempSubdirectory("icl-png-").FullName;
        try
        {
            var page = Path.Combine(work, "page.html");
            var png = Path.Combine(work, "page.png");
            File.WriteAllText(page, html);
            var psi = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--hide-scrollbars", $"--user-data-dir={Path.Combine(work, "profile")}",
                         $"--window-size={width},{height}", "--virtual-time-budget=5000", $"--screenshot={png}", new Uri(page).AbsoluteUri })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new IclException($"Could not start {chromium} for PNG export.");
            _ = p.StandardOutput.ReadToEndAsync();
            var err = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new IclException($"{chromium} did not render {Path.GetFileName(full)} within 120 s.");
            }
            if (!File.Exists(png) || new FileInfo(png).Length == 0)
                throw new IclException($"{chromium} wrote no image for {Path.GetFileName(full)} (exit {p.ExitCode}): " +
                    $"{err.Result.Split('\n').LastOrDefault(l => l.Length > 0)}");
            File.Move(png, full, overwrite: true);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }
}
