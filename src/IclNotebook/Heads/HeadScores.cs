using System.Globalization;
using System.Text.Json.Serialization;

namespace IclNotebook.Heads;

/// <summary>
/// A score per attention head, [layer, head] (<see cref="Values"/>[layer][head]), e.g. TL's
/// <c>detect_head</c> for one pattern or the induction benchmark's prefix-matching score. Carries
/// what it is (<see cref="Definition"/>, exact) and the sequence it was measured on; plots like a
/// patching result's head grid (<c>HeadPlots.Heatmap</c>).
/// </summary>
public sealed record HeadScores
{
    /// <summary>
    /// What was scored: <c>previous_token_head</c>, <c>duplicate_token_head</c>, <c>induction_head</c>,
    /// <c>prefix_matching</c> or a custom name.
    /// </summary>
    public required string Name { get; init; }

    /// <summary>The scoring options in TL's keyword arguments (empty for the prefix-matching score).</summary>
    public required string Options { get; init; }

    /// <summary>How the score is defined, in one or two sentences.</summary>
    public required string Definition { get; init; }

    /// <summary>Scores [layer][head].</summary>
    public required IReadOnlyList<IReadOnlyList<double>> Values { get; init; }

    /// <summary>The token ids the model ran (BOS included when the sequence has one).</summary>
    public required IReadOnlyList<int> Tokens { get; init; }

    public IReadOnlyList<string> Axes { get; } = ["Layer", "Head"];

    [JsonIgnore] public int Layers => Values.Count;
    [JsonIgnore] public int Heads => Values.Count == 0 ? 0 : Values[0].Count;

    /// <summary>Score of head <paramref name="head"/> in layer <paramref name="layer"/>.</summary>
    public double this[int layer, int head] => Values[layer][head];

    /// <summary>The <paramref name="k"/> highest-scoring heads, best first.</summary>
    public IReadOnlyList<(int Layer, int Head, double Score)> Top(int k = 5) =>
        Values.SelectMany((row, l) => row.Select((v, h) => (Layer: l, Head: h, Score: v)))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Layer).ThenBy(x => x.Head).Take(k).ToList();

    /// <summary>This score as a [Layer, Head] heatmap (0 to 1).</summary>
    public Plots.PlotlyFigure Plot(string? title = null) => Plot([this], title);

    /// <summary>Several scores side by side, one panel each, one colour bar (0 to 1).</summary>
    public static Plots.PlotlyFigure Plot(IReadOnlyList<HeadScores> scores, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return Plots.GridPlots.LayerHead(title ?? "Attention-head scores<br><sup>1 = the head follows the pattern exactly</sup>",
            scores.Select(s => (s.Name, s.Values)).ToList(), "score", range: 1.0);
    }

    public override string ToString()
    {
        var top = Top(3).Select(t => string.Create(CultureInfo.InvariantCulture, $"L{t.Layer}H{t.Head} {t.Score:F3}"));
        return $"{Name} [{Layers} layers x {Heads} heads]{(Options.Length > 0 ? $" ({Options})" : "")}: top {string.Join(", ", top)}";
    }
}
