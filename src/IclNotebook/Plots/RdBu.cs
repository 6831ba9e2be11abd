namespace IclNotebook.Plots;

/// <summary>
/// Plotly Express's <c>"RdBu"</c> (ColorBrewer, 11 steps: red for negative, white at 0, blue for
/// positive), as the Colab's <c>px.imshow(..., color_continuous_scale="RdBu")</c> draws it.
/// Written out because plotly.js's own built-in <c>"RdBu"</c> is a different, reversed scale
/// (blue low, red high, grey middle): naming it would flip the Colab's colours.
/// </summary>
internal static class RdBu
{
    public static readonly IReadOnlyList<string> Colours =
    [
        "rgb(103,0,31)", "rgb(178,24,43)", "rgb(214,96,77)", "rgb(244,165,130)", "rgb(253,219,199)",
        "rgb(247,247,247)",
        "rgb(209,229,240)", "rgb(146,197,222)", "rgb(67,147,195)", "rgb(33,102,172)", "rgb(5,48,97)",
    ];

    /// <summary>plotly.js colorscale form: [[0, colour], ..., [1, colour]], evenly spaced like px.</summary>
    public static object[][] Colorscale() =>
        Colours.Select((c, i) => new object[] { (double)i / (Colours.Count - 1), c }).ToArray();
}
