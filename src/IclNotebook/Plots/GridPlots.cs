using System.Globalization;

namespace IclNotebook.Plots;

/// <summary>
/// [Layer, Head] grids of any per-head value (head-detector scores, function-vector indirect
/// effects, direct logit attribution) drawn like a patching result's head grid: layer 0 on top,
/// RdBu centred on 0, one panel per grid side by side with a shared colour bar.
/// </summary>
public static class GridPlots
{
    /// <summary>
    /// One panel per (title, values[layer][head]). The colour range is ±<paramref name="range"/>
    /// (default: the largest |value|, at least 1e-9); <paramref name="unit"/> names the values in hover and on the colour bar.
    /// </summary>
    public static PlotlyFigure LayerHead(string title, IReadOnlyList<(string Title, IReadOnlyList<IReadOnlyList<double>> Values)> grids,
            string unit, double? range = null, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grids);
        if (grids.Count == 0) throw new IclException("GridPlots.LayerHead needs at least one grid.");
        var magnitudes = grids.SelectMany(g => g.Values.SelectMany(r => r)).Where(double.IsFinite).Select(Math.Abs);
        double max = range ?? Math.Max(1e-9, magnitudes.DefaultIfEmpty(0).Max());
        var panels = grids.Select(g =>
        {
            int layers = g.Values.Count, heads = layers == 0 ? 0 : g.Values[0].Count;
            var z = g.Values.Select(row => row.Select(v => double.IsFinite(v) ? (double?)v : null).ToArray()).ToArray();
            var hover = g.Values.Select((row, l) => row.Select((v, h) =>
                string.Create(CultureInfo.InvariantCulture, $"{g.Title}<br>Layer {l}, Head {h}<br>{v:F4} {unit}")).ToArray()).ToArray();
            return new HeatmapPanel(g.Title, "Head", "Layer",
                Enumerable.Range(0, heads).Select(h => h.ToString(CultureInfo.InvariantCulture)).ToArray(),
                Enumerable.Range(0, layers).Select(l => l.ToString(CultureInfo.InvariantCulture)).ToArray(), z, hover);
        }).ToList();
        int cols = panels.Sum(p => p.X.Count), rows = panels.Max(p => p.Y.Count);
        int width = Math.Clamp(200 + 32 * cols + 40 * panels.Count, 500, 1500), height = Math.Clamp(200 + 28 * rows, 380, 900);
        var opts = (options ?? new PlotOptions()) with { ColourRange = max };
        return PanelFigure.Build(panels, options?.Title ?? title, opts, width, height, unit);
    }
}
