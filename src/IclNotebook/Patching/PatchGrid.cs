using System.Globalization;
using System.Text.Json.Serialization;

namespace IclNotebook.Patching;

/// <summary>
/// What a patching grid is, whether held whole (<see cref="PatchResult"/>) or in part by a shard
/// (<see cref="PatchResultShard"/>): the target, its axes, shape and labels, the baselines and the
/// settings, plus the work that produced these values (time, forwards, arithmetic).
/// </summary>
public abstract record PatchGrid
{
    public required string Target { get; init; }

    /// <summary>Axes in value order, e.g. [Layer, Pos] or [PatchType, Layer, Head].</summary>
    public required IReadOnlyList<PatchAxis> Axes { get; init; }

    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>Labels per axis (positions as "45: positive", patch types as "Output", ...).</summary>
    public required IReadOnlyList<IReadOnlyList<string>> Labels { get; init; }

    public required double CleanBaseline { get; init; }
    public required double CorruptedBaseline { get; init; }

    /// <summary>
    /// The metric of each prompt in the clean and corrupted runs (in <see cref="PatchSettings.Unit"/>): their means are the
    /// baselines. Null where a result keeps no per-prompt values.
    /// </summary>
    public IReadOnlyList<double>? CleanPerPrompt { get; init; }

    /// <inheritdoc cref="CleanPerPrompt"/>
    public IReadOnlyList<double>? CorruptedPerPrompt { get; init; }
    public required PatchSettings Settings { get; init; }

    /// <summary>Wall time of the patching itself.</summary>
    public double Seconds { get; init; }

    /// <summary>Forward passes (or batched forward calls) the engine ran.</summary>
    public long ForwardPasses { get; init; }

    /// <summary>Arithmetic the engine did, GFLOP (estimated from the shapes it ran).</summary>
    public double Gflop { get; init; }

    /// <summary>Cells in the whole grid.</summary>
    [JsonIgnore]
    public long Size => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The row-major flat index of a multi-index, checked against the axes.</summary>
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

    /// <summary>
    /// Null when <paramref name="other"/> describes the same grid (target, shape, settings, axes and
    /// labels, baselines within <paramref name="baselineTolerance"/>); otherwise what differs.
    /// </summary>
    public string? DifferenceFrom(PatchGrid other, double baselineTolerance)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Target != other.Target) return $"target {Target} vs {other.Target}";
        if (!Shape.SequenceEqual(other.Shape)) return $"grid shape [{string.Join(", ", Shape)}] vs [{string.Join(", ", other.Shape)}]";
        if (Settings != other.Settings) return $"settings {Settings} vs {other.Settings}";
        if (!Axes.SequenceEqual(other.Axes) || !Labels.Zip(other.Labels).All(l => l.First.SequenceEqual(l.Second)))
            return "axis labels (other prompts)";
        if (Math.Abs(CleanBaseline - other.CleanBaseline) > baselineTolerance
            || Math.Abs(CorruptedBaseline - other.CorruptedBaseline) > baselineTolerance)
            return string.Create(CultureInfo.InvariantCulture,
                $"baselines {CleanBaseline:R}/{CorruptedBaseline:R} vs {other.CleanBaseline:R}/{other.CorruptedBaseline:R} " +
                $"{Settings.UnitName} (clean/corrupted)");
        return null;
    }
}
