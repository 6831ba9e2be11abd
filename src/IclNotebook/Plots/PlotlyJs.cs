namespace IclNotebook.Plots;

/// <summary>
/// The plotly.js bundle shipped inside the Plotly.NET package (v2.28.0, MIT), read from its
/// embedded resource so exports never fetch a script from a CDN.
/// </summary>
public static class PlotlyJs
{
    private const string ResourceName = "Plotly.NET.plotly-2.28.0.min.js";
    private static readonly Lazy<string> Bundle = new(Read);

    /// <summary>The minified plotly.js source.</summary>
    public static string Source => Bundle.Value;

    /// <summary>
    /// The bundle wrapped so it always defines <c>window.Plotly</c>, even where an AMD loader
    /// (Jupyter's require.js) or CommonJS globals would otherwise capture the UMD module.
    /// </summary>
    internal static string AsGlobal => "(function(define, module, exports){\n" + Source + "\n}).call(window, undefined, undefined, undefined);";

    private static string Read()
    {
        // Only the resource is read: no Plotly.NET (F#) code runs, so FSharp.Core versions never matter.
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new IclException($"plotly.js ({ResourceName}) is missing from {assembly.GetName().Name} {assembly.GetName().Version}; " +
                "the Plotly.NET package version must match Directory.Packages.props (6.0.0).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
