using System.Globalization;
using System.Text.RegularExpressions;
using IclNotebook.Patching;
using IclNotebook.Plots;

namespace IclNotebook.Notebooks;

/// <summary>
/// The runtime of the notebooks' file-based twins (<c>dotnet run notebooks/NN-name.cs</c>): a twin
/// starts one with <see cref="Start"/>, and its <c>display(x)</c> (a local function the generator
/// writes, as the notebook kernel has one) prints the text view of <c>x</c> and writes every figure
/// (or patching result's figure) as a self-contained HTML file into <see cref="OutputFolder"/>.
/// </summary>
public sealed partial class Twin
{
    private int _figures;

    private Twin(string folder) => OutputFolder = folder;

    /// <summary>The folder figures are written to.</summary>
    public string OutputFolder { get; }

    /// <summary>
    /// Starts a twin: creates its output folder (<c>ICL_OUTPUT</c>, or runs/twins/NAME under the working
    /// directory), makes a library error end the run as one line (exit code 1; with <c>ICL_DEBUG=1</c>
    /// its details follow), and prints where figures go.
    /// </summary>
    public static Twin Start(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        bool debug = Environment.GetEnvironmentVariable("ICL_DEBUG") == "1";
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is not IclException error) return;
            Console.Error.WriteLine($"error: {error.Message}");
            if (debug) Console.Error.WriteLine(error.Details);
            Environment.Exit(1);
        };
        string? outputVariable = Environment.GetEnvironmentVariable("ICL_OUTPUT");
        var folder = Path.GetFullPath(outputVariable is { Length: > 0 } o ? o : Path.Combine("runs", "twins", name));
        Directory.CreateDirectory(folder);
        Console.WriteLine($"{name}: figures are written to {folder}");
        return new Twin(folder);
    }

    /// <summary>Shows <paramref name="value"/> as the notebook would, in text; figures go to HTML files.</summary>
    public void Display(object? value)
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

    private void Save(PlotlyFigure figure)
    {
        _figures++;
        var slug = Slug().Replace(figure.Title.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length > 60) slug = slug[..60].TrimEnd('-');
        var path = Path.Combine(OutputFolder, string.Create(CultureInfo.InvariantCulture, $"{_figures:00}-{slug}.html"));
        figure.SaveHtml(path);
        Console.WriteLine($"[figure] {figure.Title} -> {path}");
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex Slug();
}
