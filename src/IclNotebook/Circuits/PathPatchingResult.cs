using IclNotebook.Metrics;

namespace IclNotebook.Circuits;

/// <summary>One sender-receiver path and its effect.</summary>
/// <param name="Sender">Where the path starts.</param>
/// <param name="Receiver">Where it ends.</param>
/// <param name="Value">Mean metric over prompts with this path patched (the metric's unit).</param>
/// <param name="Normalised">(value - corrupted) / (clean - corrupted): 0 = the corrupted run, 1 = the clean run.</param>
public sealed record PathEdge(PathSender Sender, PathReceiver Receiver, double Value, double Normalised)
{
    /// <summary><c>L0H1 -> L1H0.k</c>.</summary>
    public string Label => $"{Sender.Label} -> {Receiver.Label}";
}

/// <summary>
/// A sender x receiver grid of path-patching effects (see <see cref="PathPatching"/>): every prompt's metric for every path,
/// and both runs' baselines. A path whose sender cannot reach its receiver holds the corrupted run's values exactly.
/// </summary>
public sealed record PathPatchingResult
{
    public required IReadOnlyList<PathSender> Senders { get; init; }
    public required IReadOnlyList<PathReceiver> Receivers { get; init; }

    /// <summary>The metric of each prompt with the path patched, [sender][receiver][prompt].</summary>
    public required IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> PerPrompt { get; init; }

    /// <summary>The metric of each prompt in the clean and corrupted runs.</summary>
    public required IReadOnlyList<double> CleanPerPrompt { get; init; }
    public required IReadOnlyList<double> CorruptedPerPrompt { get; init; }

    /// <summary>The metric's unit (nats of log-probability, or logits of a difference).</summary>
    public required MetricUnit Unit { get; init; }

    /// <summary>
    /// How the grid was computed: exactly (<see cref="Patching.PatchEngineKind.Reference"/> or
    /// <see cref="Patching.PatchEngineKind.Fast"/>: the same numbers), or estimated by <see cref="EdgeAttribution"/>
    /// (<see cref="Patching.PatchEngineKind.Attribution"/>).
    /// </summary>
    public required Patching.PatchEngineKind Engine { get; init; }

    /// <summary>The estimate's EAP-IG steps (0: plain EAP, or an exact grid).</summary>
    public int IntegratedGradientSteps { get; init; }

    /// <summary>
    /// The grid of <paramref name="perPrompt"/> over <paramref name="senders"/> x <paramref name="receivers"/>, with
    /// <paramref name="setup"/>'s baselines and unit.
    /// </summary>
    internal static PathPatchingResult Of(Patching.PatchingSetup setup, IReadOnlyList<PathSender> senders, IReadOnlyList<PathReceiver> receivers,
        IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> perPrompt, Patching.PatchEngineKind engine, int integratedGradientSteps = 0) => new()
    {
        Senders = senders.ToArray(),
        Receivers = receivers.ToArray(),
        PerPrompt = perPrompt,
        CleanPerPrompt = setup.CleanPerPrompt.ToArray(),
        CorruptedPerPrompt = setup.CorruptedPerPrompt.ToArray(),
        Unit = setup.Metric.Unit,
        Engine = engine,
        IntegratedGradientSteps = integratedGradientSteps,
    };

    public double CleanBaseline => CleanPerPrompt.Average();
    public double CorruptedBaseline => CorruptedPerPrompt.Average();

    /// <summary>Mean metric over prompts with the path patched (<paramref name="sender"/>, <paramref name="receiver"/>: indices into the lists).</summary>
    public double Value(int sender, int receiver) => PerPrompt[sender][receiver].Average();

    /// <summary>(value - corrupted) / (clean - corrupted) of a path (indices into the lists).</summary>
    public double Normalised(int sender, int receiver) => AnswerMetric.Normalise(Value(sender, receiver), CleanBaseline, CorruptedBaseline);

    /// <summary>The normalised effect of the path from <paramref name="sender"/> to <paramref name="receiver"/>.</summary>
    public double this[PathSender sender, PathReceiver receiver] => Normalised(IndexOf(Senders, sender), IndexOf(Receivers, receiver));

    /// <summary>Every path, largest |normalised effect| first.</summary>
    public IReadOnlyList<PathEdge> Edges() =>
        Senders.SelectMany((s, i) => Receivers.Select((r, j) => new PathEdge(s, r, Value(i, j), Normalised(i, j))))
            .OrderByDescending(e => Math.Abs(e.Normalised))
            .ToArray();

    private static int IndexOf<T>(IReadOnlyList<T> list, T item)
    {
        for (int i = 0; i < list.Count; i++)
            if (EqualityComparer<T>.Default.Equals(list[i], item)) return i;
        throw new IclException($"{item} is not in this grid ({string.Join(", ", list.Take(8))}{(list.Count > 8 ? ", ..." : "")}).");
    }
}
