using IclNotebook.Metrics;
using IclNotebook.Patching;
using IclNotebook.Progress;

namespace IclNotebook.Circuits;

/// <summary>One circuit of a faithfulness curve: its size and how much of the clean behaviour it keeps.</summary>
/// <param name="Edges">Edges in the circuit (the top ones of the ranking).</param>
/// <param name="Value">Mean metric of the circuit run.</param>
/// <param name="Faithfulness">(value - corrupted) / (clean - corrupted): 1 = the whole model's clean behaviour, 0 = the corrupted run's.</param>
/// <param name="PerPrompt">Each prompt's metric of the circuit run.</param>
public sealed record FaithfulnessPoint(int Edges, double Value, double Faithfulness, IReadOnlyList<double> PerPrompt);

/// <summary>
/// How faithful the top-k circuits of a ranking are (<see cref="CircuitFaithfulness"/>): one point per size, with the ranking's edges.
/// </summary>
/// <param name="Points">Circuits from smallest to largest.</param>
/// <param name="Ranking">Every edge of the graph, in the order circuits take them (largest |effect| first).</param>
/// <param name="CleanBaseline">Mean metric of the clean run.</param>
/// <param name="CorruptedBaseline">Mean metric of the corrupted run.</param>
public sealed record FaithfulnessCurve(IReadOnlyList<FaithfulnessPoint> Points, IReadOnlyList<PathEdge> Ranking, double CleanBaseline, double CorruptedBaseline)
{
    /// <summary>The smallest circuit on the curve whose faithfulness reaches <paramref name="share"/>; null when none does.</summary>
    public FaithfulnessPoint? Reaching(double share) => Points.FirstOrDefault(p => p.Faithfulness >= share);
}

/// <summary>
/// Circuits as sets of edges, and how much of the model's behaviour they carry, computed exactly: the clean prompts run with
/// every edge outside the circuit carrying its sender's corrupted output (see <see cref="CircuitForward"/>), the metric compared
/// with the clean and corrupted runs. The circuit of size k is the top k edges of a ranking (exact path patching or edge
/// attribution) by |effect|.
/// </summary>
public static class CircuitFaithfulness
{
    /// <summary>Each prompt's metric with only <paramref name="circuit"/>'s edges carrying the clean run's values.</summary>
    public static IReadOnlyList<double> Evaluate(PatchingSetup setup, IReadOnlyCollection<(PathSender Sender, PathReceiver Receiver)> circuit)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(circuit);
        return CircuitForward.Metric(setup, circuit);
    }

    /// <summary>
    /// The faithfulness of the top-k circuits of <paramref name="ranking"/> (a grid over every sender and receiver of the
    /// model) for each k of <paramref name="sizes"/> (default 1, 2, 5, 10, 20, 50, ... up to every edge).
    /// </summary>
    public static FaithfulnessCurve Curve(PatchingSetup setup, PathPatchingResult ranking, IReadOnlyList<int>? sizes = null,
        IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(ranking);
        var cfg = setup.Model.Config;
        var edges = ranking.Edges().Where(e => e.Receiver.IsReachedBy(e.Sender, cfg)).ToArray();
        int all = EdgeCount(cfg);
        if (edges.Length != all)
            throw new IclException($"A faithfulness curve ranks every edge of the graph ({all} for {cfg.Name}); the ranking holds {edges.Length}: " +
                "compute it over every sender and receiver (the default).");
        sizes ??= DefaultSizes(all);
        if (sizes.Any(k => k < 0 || k > all))
            throw new IclException($"Circuit sizes must be between 0 and the graph's {all} edges; got {string.Join(", ", sizes)}.");
        var points = new List<FaithfulnessPoint>();
        var distinct = sizes.Distinct().Order().ToArray();
        foreach (var (k, i) in distinct.Select((k, i) => (k, i)))
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new WorkProgress("circuit faithfulness", i, distinct.Length, "circuits"));
            var perPrompt = CircuitForward.Metric(setup, edges.Take(k).Select(e => (e.Sender, e.Receiver)).ToArray());
            double value = perPrompt.Average();
            points.Add(new FaithfulnessPoint(k, value, AnswerMetric.Normalise(value, setup.CleanBaseline, setup.CorruptedBaseline), perPrompt));
        }
        progress?.Report(new WorkProgress("circuit faithfulness", distinct.Length, distinct.Length, "circuits"));
        return new FaithfulnessCurve(points, edges, setup.CleanBaseline, setup.CorruptedBaseline);
    }

    /// <summary>The edges of <paramref name="config"/>'s graph: every sender into every receiver it reaches.</summary>
    public static int EdgeCount(Model.ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var receivers = PathReceiver.All(config);
        return PathSender.All(config).Sum(s => receivers.Count(r => r.IsReachedBy(s, config)));
    }

    /// <summary>0, 1, 2, 5, 10, 20, 50, ... below <paramref name="all"/>, then <paramref name="all"/>.</summary>
    public static IReadOnlyList<int> DefaultSizes(int all)
    {
        var sizes = new List<int> { 0 };
        for (long decade = 1; decade < all; decade *= 10)
            foreach (var m in new[] { 1, 2, 5 })
                if (decade * m < all) sizes.Add((int)(decade * m));
        sizes.Add(all);
        return sizes;
    }
}
