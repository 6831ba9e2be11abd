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

    /// <summary>
    /// Each prompt's metric for every cell, [flat][prompt] (row-major like <see cref="Values"/>, whose entries are their
    /// means). Null where a result keeps no per-prompt values (attribution patching, older files).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>>? PerPrompt { get; init; }

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

    /// <summary>
    /// The interval of every cell's normalised value (the heatmaps' statistic), a seeded bootstrap over prompts of
    /// <c>(mean patched - mean corrupted) / (mean clean - mean corrupted)</c> with all three means on the same resample;
    /// <paramref name="bootstrap"/> defaults to 1000 resamples, 95 %, seed 0. Each interval's mean is <see cref="Normalised"/>'s value.
    /// </summary>
    public IReadOnlyList<Statistics.Interval> Intervals(Statistics.Bootstrap? bootstrap = null)
    {
        if (PerPrompt is null || CleanPerPrompt is null || CorruptedPerPrompt is null)
            throw new IclException($"{Target}: this result keeps no per-prompt values (computed by the {Settings.EngineLabel} engine, or " +
                "read from an older file), so it has no intervals; rerun it with the reference or fast engine.");
        bootstrap ??= new Statistics.Bootstrap();
        // results.json, each heatmap and its hover text ask for the same intervals: computed once per set of values.
        if (IntervalCache.TryGetValue(PerPrompt, out var held) && ReferenceEquals(held.Clean, CleanPerPrompt)
            && ReferenceEquals(held.Corrupted, CorruptedPerPrompt) && held.Bootstrap == bootstrap)
            return held.Intervals;
        var intervals = bootstrap.Cells(PerPrompt, CleanPerPrompt, CorruptedPerPrompt);
        IntervalCache.AddOrUpdate(PerPrompt, new HeldIntervals(CleanPerPrompt, CorruptedPerPrompt, bootstrap, intervals));
        return intervals;
    }

    /// <summary>Intervals by the per-prompt values they were computed from (the lists are never changed once made).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<IReadOnlyList<double>>, HeldIntervals> IntervalCache = new();

    private sealed record HeldIntervals(IReadOnlyList<double> Clean, IReadOnlyList<double> Corrupted, Statistics.Bootstrap Bootstrap,
        IReadOnlyList<Statistics.Interval> Intervals);

    /// <summary>Value at a multi-index (in <see cref="PatchSettings.Unit"/>).</summary>
    public double this[params int[] index] => Values[Flat(index)];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The result with its normalised values and, where it keeps per-prompt values, their 95 % intervals (default bootstrap).</summary>
    public string ToJson()
    {
        var intervals = PerPrompt is not null && CleanPerPrompt is not null && CorruptedPerPrompt is not null ? Intervals() : null;
        static double? Finite(double v) => double.IsFinite(v) ? v : null;
        return JsonSerializer.Serialize(new Stored(this, Normalised.Select(Finite).ToArray(), intervals?.Select(i => Finite(i.Low)).ToArray(),
            intervals?.Select(i => Finite(i.High)).ToArray()), Json);
    }

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

    /// <summary>
    /// On-disk form: the result plus, for readers of the file, its normalised values and their 95 % interval bounds
    /// (1000 seeded bootstrap resamples over prompts; null where no per-prompt values are kept). A value that is not a
    /// number (clean and corrupted baselines equal, in the run or in a resample) is written as null.
    /// </summary>
    private sealed record Stored(PatchResult Result, IReadOnlyList<double?>? NormalisedValues, IReadOnlyList<double?>? NormalisedLow,
        IReadOnlyList<double?>? NormalisedHigh);
}
