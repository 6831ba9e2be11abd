namespace IclNotebook.Plots;

/// <summary>How a patching result is drawn. Every property has a default, so <c>new PlotOptions()</c> reproduces the Colab's look.</summary>
public sealed record PlotOptions
{
    /// <summary>Figure title. Default: null = "&lt;what&gt; patching (&lt;target&gt;)" with the run settings underneath.</summary>
    public string? Title { get; init; }

    /// <summary>Figure width in pixels. Default: null = chosen from the number of columns and panels.</summary>
    public int? Width { get; init; }

    /// <summary>Figure height in pixels. Default: null = chosen from the number of rows.</summary>
    public int? Height { get; init; }

    /// <summary>
    /// Colours span [-ColourRange, ColourRange] of the normalised metric, centred on 0. Default: 1,
    /// the Colab's fixed [-1, 1] (0 = corrupted behaviour, 1 = clean); values outside saturate.
    /// </summary>
    public double ColourRange { get; init; } = 1.0;
}
