using System.Text.Json;
using System.Text.Json.Serialization;

namespace IclNotebook.Patching;

/// <summary>Run settings recorded with every result.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Processing">Weight processing (Default or Raw).</param>
/// <param name="Engine">Engine that computed the values.</param>
/// <param name="Metric">What the metric measures and where it reads.</param>
/// <param name="Unit">The values' unit: "nats" (log-prob) or "logits" (logit difference).</param>
/// <param name="Read">Where the metric reads: "last-token", "last-column", or "given" (positions passed in).</param>
/// <param name="Replay">How the corruption was replayed: "simultaneous", "sequential", or "given" (corrupted tokens passed in).</param>
public sealed record PatchSettings(string Model, string Processing, string Engine, string Metric, string Unit, string Read, string Replay);

/// <summary>
/// The outcome of patching one target (or a stacked set): the metric (in <see cref="PatchSettings.Unit"/>) for every index,
/// with its axes, labels, baselines, settings and timings. <see cref="Normalised"/> gives TL's
/// normalised metric (0 = corrupted, 1 = clean). Saves to and loads from JSON.
/// </summary>
public sealed partial record PatchResult
{
    public required string Target { get; init; }

    /// <summary>Axes in value order, e.g. [Layer, Pos] or [PatchType, Layer, Head].</summary>
    public required IReadOnlyList<PatchAxis> Axes { get; init; }

    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>Labels per axis (positions as "45: positive", patch types as "Output", ...).</summary>
    public required IReadOnlyList<IReadOnlyList<string>> Labels { get; init; }

    /// <summary>The metric after each patch (in <see cref="PatchSettings.Unit"/>), row-major over <see cref="Shape"/>.</summary>
    public required IReadOnlyList<double> Values { get; init; }

    public required double CleanBaseline { get; init; }
    public required double CorruptedBaseline { get; init; }
    public required PatchSettings Settings { get; init; }

    /// <summary>Wall time of the patching itself.</summary>
    public double Seconds { get; init; }

    /// <summary>Forward passes (or batched forward calls) the engine ran.</summary>
    public long ForwardPasses { get; init; }

    /// <summary>Arithmetic the engine did, GFLOP (estimated from the shapes it ran).</summary>
    public double Gflop { get; init; }

    /// <summary>(value - corrupted) / (clean - corrupted) per index.</summary>
    [JsonIgnore]
    public IReadOnlyList<double> Normalised =>
        Values.Select(v => Metrics.AnswerMetric.Normalise(v, CleanBaseline, CorruptedBaseline)).ToArray();

    /// <summary>Value at a multi-index (in <see cref="PatchSettings.Unit"/>).</summary>
    public double this[params int[] index] => Values[Flat(index)];

    public int Flat(IReadOnlyList<int> index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.Count != Shape.Count)
            throw new IclException($"{Target}: index has {index.Count} axes, the result has {Shape.Count} ({string.Join(", ", Axes)}).");
        long flat = 0;
        for (int i = 0; i < index.Count; i++)
        {
            if (index[i] < 0 || index[i] >= Shape[i])
                throw new IclException($"{Target}: index {index[i]} is outside axis {Axes[i]} (0..{Shape[i] - 1}).");
            flat = flat * Shape[i] + index[i];
        }
        return (int)flat;
    }

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
