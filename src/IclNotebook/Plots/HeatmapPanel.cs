using IclNotebook.Patching;

namespace IclNotebook.Plots;

/// <summary>
/// One heatmap of a figure: rows top to bottom, columns left to right, as category labels
/// (so ticks show "45: positive" or head numbers), normalised values (null = gap), hover text, and which cells' 95 %
/// interval includes 0 (marked in the figure; null or all false where there are no intervals).
/// </summary>
internal sealed record HeatmapPanel(
    string Title,
    string XTitle,
    string YTitle,
    IReadOnlyList<string> X,
    IReadOnlyList<string> Y,
    double?[][] Z,
    string[][] Hover,
    bool[][]? IncludesZero = null)
{
    /// <summary>
    /// A panel over <paramref name="rows"/> x <paramref name="columns"/> cells; <paramref name="at"/>
    /// maps (row, column) to the result index by axis name.
    /// </summary>
    public static HeatmapPanel Build(
        ResultView view, string title, string xTitle, string yTitle,
        IReadOnlyList<string> rows, IReadOnlyList<string> columns,
        Func<int, int, IReadOnlyDictionary<PatchAxis, int>> at)
    {
        var z = new double?[rows.Count][];
        var hover = new string[rows.Count][];
        var includesZero = new bool[rows.Count][];
        for (int r = 0; r < rows.Count; r++)
        {
            z[r] = new double?[columns.Count];
            hover[r] = new string[columns.Count];
            includesZero[r] = new bool[columns.Count];
            for (int c = 0; c < columns.Count; c++)
            {
                var index = at(r, c);
                z[r][c] = view.Normalised(index);
                hover[r][c] = view.Hover(index);
                includesZero[r][c] = view.Interval(index) is { ExcludesZero: false };
            }
        }
        // Tick labels are pseudo-HTML too: "<|endoftext|>" must show, not vanish as a tag.
        return new HeatmapPanel(title, xTitle, yTitle, Encode(columns), Encode(rows), z, hover, includesZero);
    }

    private static string[] Encode(IReadOnlyList<string> labels) => labels.Select(l => System.Net.WebUtility.HtmlEncode(l) ?? "").ToArray();
}
