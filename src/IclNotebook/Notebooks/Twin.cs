using System.Globalization;
using System.Text.RegularExpressions;
using IclNotebook.Patching;
using IclNotebook.Plots;

namespace IclNotebook.Notebooks;

/// <summary>
/// The runtime of the notebooks' file-based twins (<c>dotnet run notebooks/NN-name.cs</c>):
/// <c>display(x)</c> prints the text view of <c>x</c> and writes every figure (or patching
/// result's figure) as a self-contained HTML file into the output folder, which is
/// <c>ICL_OUTPUT</c> or runs/twins/NAME under the working directory.
/// </summary>
public static partial class Twin
{
    private static string? folder;
    private static int figures;

    /// <summary>The folder figures are written to (set by <see cref="Start"/>).</summary>
    public static string OutputFolder => folder ?? throw new InvalidOperationException("Twin.Start was not called.");

    /// <summary>Creates the output folder, makes library errors one line, and prints where figures go.</summary>
    public static void Start(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        IclException.ShowStackTrace = Environment.GetEnvironmentVariable("ICL_DEBUG") == "1";
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is IclException error && !IclException.ShowStackTrace)
            {
                Console.Error.WriteLine($"error: {error.Message}");
                Environment.Exit(1);
            }
        };
        folder = Path.GetFullPath(Environment.GetEnvironmentVariable("ICL_OUTPUT") is { Length: > 0 } o ? o : Path.Combine("runs", "twins", name));
        Directory.CreateDirectory(folder);
        figures = 0;
        Console.WriteLine($"{name}: figures are written to {folder}");
    }

    /// <summary>Shows <paramref name="value"/> as the notebook would, in text; figures go to HTML files.</summary>
#pragma warning disable CA1707, IDE1006 // lower-case on purpose: the same call as the notebook kernel's display()
    public static void display(object? value)
#pragma warning restore CA1707, IDE1006
    {
        switch (value)
        {
            case PlotlyFigure figure:
                Save(figure);
                break;
            case PatchResult result:
                Console.WriteLine(NotebookViews.Text(result));
                Save(PatchPlots.Plot(result));
                break;
            default:
                Console.WriteLine(NotebookViews.Text(value));
                break;
        }
    }

    private static void Save(PlotlyFigure figure)
    {
        figures++;
        var slug = Slug().Replace(figure.Title.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length > 60) slug = slug[..60].TrimEnd('-');
        var path = Path.Combine(OutputFolder, string.Create(CultureInfo.InvariantCulture, $"{figures:00}-{slug}.html"));
        figure.SaveHtml(path);
        Console.WriteLine($"[figure] {figure.Title} -> {path}");
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex Slug();
}
