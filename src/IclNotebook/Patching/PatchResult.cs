using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IclNotebook.Patching;

/// <summary>
/// The outcome of patching one target (or a stacked set): the metric (in <see cref="PatchSettings.Unit"/>) for every index
/// of its <see cref="PatchGrid"/> (axes, labels, baselines, settings, timings). <see cref="Normalised"/> gives TL's
/// normalised metric (0 = corrupted, 1 = clean). Saves to and loads from JSON.
/// </summary>
public sealed partial record PatchResult : PatchGrid
{
    /// <summary>The metric after each patch (in <see cref="PatchSettings.Unit"/>), row-major over <see cref="PatchGrid.Shape"/>.</summary>
    public required IReadOnlyList<double> Values { get; init; }

    public PatchResult() { }

    /// <summary>
    /// The values of <paramref name="grid"/>'s every cell; its timings are the grid's, to set anew with <c>with</c> or an initializer.
    /// </summary>
    [SetsRequiredMembers]
    public PatchResult(PatchGrid grid, IReadOnlyList<double> values) : base(grid ?? throw new ArgumentNullException(nameof(grid))) =>
        Values = values;

    /// <summary>(value - corrupted) / (clean - corrupted) per index.</summary>
    [JsonIgnore]
    public IReadOnlyList<double> Normalised =>
        Values.Select(v => Metrics.AnswerMetric.Normalise(v, CleanBaseline, CorruptedBaseline)).ToArray();

    /// <summary>Value at a multi-index (in <see cref="PatchSettings.Unit"/>).</summary>
    public double this[params int[] index] => Values[Flat(index)];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(new Stored(this, Normalised), Json);

    public static PatchResult FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<Stored>(json, Json)?.Result
                ?? throw new IclException($"{source}: empty patch result.");
        }
        catch (JsonException e)
        {
            throw new IclException($"{source}: not a patch result ({e.Message}).", e);
        }
    }

    /// <summary>Writes JSON via a temp file and rename (never a half-written file).</summary>
    public void Save(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, path, overwrite: true);
    }

    public static PatchResult Load(string path) => FromJson(File.ReadAllText(path), path);

    /// <summary>On-disk form: the result plus its normalised values for readers of the file.</summary>
    private sealed record Stored(PatchResult Result, IReadOnlyList<double>? NormalisedValues);
}
