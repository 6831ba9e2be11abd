using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Plots;

/// <summary>
/// Patching results as plotly.js heatmaps, drawn like the Colab's <c>px.imshow</c>: normalised
/// metric (0 = corrupted, 1 = clean), RdBu fixed to [-1, 1] with blue = positive, layer 0 on top,
/// hover with the exact normalised value, the value in its unit (nats or logits), and every index with its token. Charts embed
/// plotly.js in full, so their HTML works offline (see <see cref="ChartExport"/>).
/// </summary>
public static class PatchPlots
{
    private const PatchAxis Layer = PatchAxis.Layer, Pos = PatchAxis.Pos, Head = PatchAxis.Head, PatchType = PatchAxis.PatchType;

    /// <summary>
    /// Any result: <see cref="Heatmap"/> for two axes, <see cref="HeadGrid"/> (one panel per patch
    /// type) for [PatchType, Layer, Head|Pos], <see cref="ByPosition"/> for results with Pos and Head.
    /// </summary>
    public static PlotlyFigure Plot(PatchResult result, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var axes = result.Axes;
        if (axes.Count == 2) return Heatmap(result, options);
        if (axes.Contains(Pos) && axes.Contains(Head)) return ByPosition(result, options);
        if (axes.Count == 3 && axes[0] == PatchType && axes[1] == Layer) return Panels(new ResultView(result), options);
        throw new IclException($"{result.Target}: no plot for axes {ResultView.AxisList(result)}; plots take [Layer, Pos], [Layer, Head], " +
            "[PatchType, Layer, Head], [PatchType, Layer, Pos] or [(PatchType,) Layer, Pos, Head].");
    }

    /// <summary>
    /// A two-axis result ([Layer, Pos] or [Layer, Head]) as one heatmap: rows = layers (0 on top),
    /// columns = positions labelled "45: positive" or head numbers.
    /// </summary>
    public static PlotlyFigure Heatmap(PatchResult result, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var view = new ResultView(result);
        if (result.Axes.Count != 2)
            throw new IclException($"{result.Target}: Heatmap needs a 2-axis result such as [Layer, Pos] or [Layer, Head]; " +
                $"this one has axes {ResultView.AxisList(result)}. {Suggest(result)}");
        PatchAxis rowAxis = result.Axes[0], colAxis = result.Axes[1];
        var panel = HeatmapPanel.Build(view, result.Target, ResultView.AxisTitle(colAxis), ResultView.AxisTitle(rowAxis),
            result.Labels[0], result.Labels[1],
            (r, c) => new Dictionary<PatchAxis, int> { [rowAxis] = r, [colAxis] = c });
        int cols = result.Labels[1].Count, rows = result.Labels[0].Count;
        int width = Math.Clamp(250 + 9 * cols, 600, 1400), height = Math.Clamp(200 + 25 * rows, 400, 900);
        return PanelFigure.Build([panel], Title(result, options), options ?? new(), width, height);
    }

    /// <summary>
    /// A [PatchType, Layer, Head] result (TL's <c>attn_head_all_pos_every</c>) as five Layer x Head
    /// panels side by side (Output, Query, Key, Value, Pattern), one shared colour bar.
    /// </summary>
    public static PlotlyFigure HeadGrid(PatchResult result, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var view = new ResultView(result);
        if (!view.HasAxes(PatchType, Layer, Head))
            throw new IclException($"{result.Target}: HeadGrid needs axes [PatchType, Layer, Head] (e.g. attn_head_all_pos_every); " +
                $"this one has axes {ResultView.AxisList(result)}. {Suggest(result)}");
        return Panels(view, options);
    }

    /// <summary>
    /// A by-position head result ([Layer, Pos, Head], [Layer, Head, Pos], or either with a leading
    /// PatchType) as TL's demo draws it: each head is a row, "L3H7" ordered layer-major with layer 0
    /// on top, positions as columns; one panel per patch type, side by side, one colour bar.
    /// Rows x positions keeps every position's token on the x axis and every head in reading
    /// order, where a panel per head would need 144 small plots for GPT-2 small.
    /// </summary>
    public static PlotlyFigure ByPosition(PatchResult result, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var view = new ResultView(result);
        var axes = result.Axes;
        bool stacked = axes.Count == 4 && axes[0] == PatchType;
        var rest = stacked ? axes.Skip(1).ToList() : axes.ToList();
        if (rest.Count != 3 || rest[0] != Layer || !rest.Contains(Pos) || !rest.Contains(Head))
            throw new IclException($"{result.Target}: ByPosition needs axes [Layer, Pos, Head] or [PatchType, Layer, Pos, Head] " +
                $"(Pos and Head in either order); this one has axes {ResultView.AxisList(result)}. {Suggest(result)}");
        int layers = view.Size(Layer), heads = view.Size(Head), positions = view.Size(Pos);
        var rows = Enumerable.Range(0, layers * heads).Select(i => $"L{view.Label(Layer, i / heads)}H{view.Label(Head, i % heads)}").ToArray();
        var panels = Enumerable.Range(0, stacked ? view.Size(PatchType) : 1).Select(t => HeatmapPanel.Build(
            view, stacked ? view.Label(PatchType, t) : result.Target, "Position", "Layer & Head", rows, view.Result.Labels[view.Axis(Pos)],
            (r, c) =>
            {
                var at = new Dictionary<PatchAxis, int> { [Layer] = r / heads, [Head] = r % heads, [Pos] = c };
                if (stacked) at[PatchType] = t;
                return at;
            })).ToList();
        int height = Math.Clamp(200 + 6 * rows.Length, 500, 1400);
        int width = Math.Clamp(200 + panels.Count * Math.Max(150, 4 * positions), 700, 2000);
        return PanelFigure.Build(panels, Title(result, options), options ?? new(), width, height);
    }

    /// <summary>One Layer x (Head|Pos) panel per patch type.</summary>
    private static PlotlyFigure Panels(ResultView view, PlotOptions? options)
    {
        var result = view.Result;
        PatchAxis colAxis = result.Axes[2];
        var panels = Enumerable.Range(0, view.Size(PatchType)).Select(t => HeatmapPanel.Build(
            view, view.Label(PatchType, t), ResultView.AxisTitle(colAxis), ResultView.AxisTitle(Layer),
            result.Labels[1], result.Labels[2],
            (r, c) => new Dictionary<PatchAxis, int> { [PatchType] = t, [Layer] = r, [colAxis] = c })).ToList();
        int width = Math.Clamp(150 + panels.Count * Math.Max(220, 6 * result.Labels[2].Count), 700, 2400);
        return PanelFigure.Build(panels, Title(result, options), options ?? new(), width, 450);
    }

    private static string Suggest(PatchResult result) =>
        result.Axes.Count is >= 2 and <= 4 ? "PatchPlots.Plot picks the right plot for any result's axes." : "";

    /// <summary>"Residual stream patching (resid_pre)" plus the run settings in small type.</summary>
    private static string Title(PatchResult result, PlotOptions? options)
    {
        if (options?.Title is { } custom) return custom;
        var target = PatchTargets.All.FirstOrDefault(t => t.Name == result.Target);
        string what = target is null
            ? result.Target switch
            {
                "attn_head_all_pos_every" => "Attention head (all positions)",
                "attn_head_by_pos_every" => "Attention head (by position)",
                "block_every" => "Block output",
                _ => "Activation",
            }
            : target.Axes.Contains(PatchAxis.Head) ? $"Head {target.Title.ToLowerInvariant()}" : StripQualifier(target.Title);
        var s = result.Settings;
        string dtype = s.DType.IsHalf() ? $", {OptionNames.Name(s.DType)}" : "";         // a half-precision grid says so
        var run = System.Net.WebUtility.HtmlEncode($"{s.Model}{dtype}, {s.EngineLabel} engine, {s.Metric}");
        return $"{what} patching ({result.Target})<br><sup>{run}; 0 = corrupted, 1 = clean</sup>";
    }

    private static string StripQualifier(string title)
    {
        int paren = title.IndexOf(" (", StringComparison.Ordinal);
        return paren < 0 ? title : title[..paren];
    }
}
