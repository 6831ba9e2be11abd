using System.Globalization;
using System.Net;
using IclNotebook.Patching;

namespace IclNotebook.Plots;

/// <summary>
/// A checked, read-only view of a <see cref="PatchResult"/> for plotting: finds axes by name,
/// reads normalised values and values (in the result's unit) by multi-index, and writes hover text.
/// </summary>
internal sealed class ResultView
{
    private readonly IReadOnlyList<double> _normalised;
    private readonly IReadOnlyList<Statistics.Interval>? _intervals;

    public ResultView(PatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
        int n = result.Axes.Count;
        if (result.Shape.Count != n || result.Labels.Count != n)
            throw new IclException($"{result.Target}: result has {n} axes ({AxisList(result)}) but {result.Shape.Count} shape entries " +
                $"and {result.Labels.Count} label lists; it is not a well-formed PatchResult.");
        for (int i = 0; i < n; i++)
        {
            if (result.Labels[i].Count != result.Shape[i])
                throw new IclException($"{result.Target}: axis {result.Axes[i]} has size {result.Shape[i]} but {result.Labels[i].Count} labels.");
        }
        long total = result.Shape.Aggregate(1L, (a, b) => a * b);
        if (total != result.Values.Count)
            throw new IclException($"{result.Target}: shape [{string.Join(", ", result.Shape)}] holds {total} values, " +
                $"the result has {result.Values.Count}.");
        _normalised = result.Normalised;
        // Intervals where every prompt's value is kept and there are prompts to resample.
        if (result is { PerPrompt: not null, CleanPerPrompt.Count: > 1, CorruptedPerPrompt: not null }) _intervals = result.Intervals();
    }

    /// <summary>The 95 % interval of the normalised value at an index, or null where the result keeps no per-prompt values.</summary>
    public Statistics.Interval? Interval(IReadOnlyDictionary<PatchAxis, int> at) => _intervals?[Flat(at)];

    public PatchResult Result { get; }

    /// <summary>The result's axes as "[Layer, Pos]", for error messages.</summary>
    public static string AxisList(PatchResult result) => "[" + string.Join(", ", result.Axes) + "]";

    /// <summary>True when the axes are exactly <paramref name="axes"/>, in order.</summary>
    public bool HasAxes(params PatchAxis[] axes) => Result.Axes.SequenceEqual(axes);

    public int Axis(PatchAxis name)
    {
        int i = Result.Axes.ToList().IndexOf(name);
        return i >= 0 ? i : throw new IclException($"{Result.Target}: result has no {name} axis (axes {AxisList(Result)}).");
    }

    public int Size(PatchAxis axis) => (int)Result.Shape[Axis(axis)];

    public string Label(PatchAxis axis, int i) => Result.Labels[Axis(axis)][i];

    /// <summary>Normalised metric at an index given per axis name; null where it is not finite (clean == corrupted baseline).</summary>
    public double? Normalised(IReadOnlyDictionary<PatchAxis, int> at)
    {
        double v = _normalised[Flat(at)];
        return double.IsFinite(v) ? v : null;
    }

    /// <summary>
    /// Hover text: every axis with its label (positions as index and token), then the normalised value
    /// and the value in its unit, exactly.
    /// </summary>
    public string Hover(IReadOnlyDictionary<PatchAxis, int> at)
    {
        var lines = new List<string>();
        foreach (var axis in Result.Axes)
        {
            var label = Label(axis, at[axis]);
            if (axis == PatchAxis.Pos)
            {
                var (index, token) = SplitPosition(label);
                lines.Add($"Position {Html(index)}");
                if (token is not null) lines.Add($"Token {Html(token)}");
            }
            else
            {
                lines.Add($"{AxisTitle(axis)} {Html(label)}");
            }
        }
        int flat = Flat(at);
        lines.Add($"Normalised {Exact(_normalised[flat])}");
        if (_intervals?[flat] is { } interval)
            lines.Add($"{interval.Level * 100:0}% interval [{Exact(interval.Low)}, {Exact(interval.High)}] over {Result.CleanPerPrompt!.Count} prompts" +
                (interval.ExcludesZero ? "" : " (includes 0)"));
        lines.Add($"Value {Exact(Result.Values[flat])} {Result.Settings.UnitName}");
        return string.Join("<br>", lines);
    }

    /// <summary>The Colab's axis titles: Position, Layer, Head.</summary>
    public static string AxisTitle(PatchAxis axis) => axis switch
    {
        PatchAxis.Pos => "Position",
        PatchAxis.PatchType => "Patch",
        _ => axis.ToString(),
    };

    /// <summary>"45: positive" -> ("45", "positive"); a label without ": " is all index.</summary>
    public static (string Index, string? Token) SplitPosition(string label)
    {
        int colon = label.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? (label, null) : (label[..colon], label[(colon + 2)..]);
    }

    private int Flat(IReadOnlyDictionary<PatchAxis, int> at) => Result.Flat(Result.Axes.Select(a => at[a]).ToArray());

    private static string Exact(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // Plotly reads hover text as pseudo-HTML: a token such as "<" must not open a tag.
    private static string Html(string s) => WebUtility.HtmlEncode(s);
}
