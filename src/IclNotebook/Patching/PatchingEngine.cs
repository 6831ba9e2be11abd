using IclNotebook.Progress;
using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Metrics;

namespace IclNotebook.Patching;

/// <summary>
/// An engine computes the metric for every index of a target; this base assembles stacked sets,
/// labels, baselines, settings and timings into a <see cref="PatchResult"/>.
/// </summary>
public abstract class PatchingEngine
{
    /// <summary>Engine name recorded in results ("reference", "fast").</summary>
    public abstract string Name { get; }

    /// <summary>Metric for every index of <paramref name="target"/>, row-major; also forward calls made and FLOPs done.</summary>
    protected abstract (double[] Values, long Forwards, double Flop) RunTarget(PatchingSetup setup, PatchTarget target, IProgress<WorkProgress>? progress, CancellationToken ct);

    public PatchResult Run(PatchingSetup setup, PatchTarget target, IProgress<WorkProgress>? progress = null, CancellationToken ct = default) =>
        Run(setup, PatchTargetSet.Of(target), progress, ct);

    public PatchResult Run(PatchingSetup setup, PatchTargetSet set, IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(set);
        foreach (var part in set.Parts) part.CheckApplies(setup.Model); // before any work
        using var scope = TorchSharp.torch.NewDisposeScope(); // every temporary tensor of the run ends here
        var clock = Stopwatch.StartNew();
        var values = new List<double>();
        long forwards = 0;
        double flop = 0;
        foreach (var part in set.Parts)
        {
            ct.ThrowIfCancellationRequested();
            var (v, f, w) = RunTarget(setup, part, progress, ct);
            values.AddRange(v);
            forwards += f;
            flop += w;
        }
        return Assemble(setup, set, Name, values, forwards, flop, clock.Elapsed.TotalSeconds);
    }

    /// <summary>A result from per-index values (parts stacked along a leading PatchType axis when more than one).</summary>
    internal static PatchResult Assemble(PatchingSetup setup, PatchTargetSet set, string engine, IReadOnlyList<double> values, long forwards, double flop, double seconds)
    {
        var first = set.Parts[0];
        var shape = first.Shape(setup.Model.Config, setup.NPos).ToList();
        var axes = first.Axes.Select(a => a == PatchAxis.DestPos ? nameof(PatchAxis.Pos) : a.ToString()).ToList();
        var labels = first.Axes.Select(a => Labels(setup, a)).ToList();
        if (set.Parts.Count > 1)
        {
            shape.Insert(0, set.Parts.Count);
            axes.Insert(0, "PatchType");
            labels.Insert(0, set.Parts.Select(p => p.Title).ToArray());
        }
        var m = setup.Model.Config;
        return new PatchResult
        {
            Target = set.Name,
            Axes = axes,
            Shape = shape,
            Labels = labels,
            Values = values,
            CleanBaseline = setup.CleanBaseline,
            CorruptedBaseline = setup.CorruptedBaseline,
            Settings = new PatchSettings(m.Name, setup.Model.Processing.ToString(), engine, setup.Metric.Description, setup.Metric.Unit,
                setup.Metric.Read is { } read ? OptionNames.Name(read) : "given", setup.Replay is { } replay ? OptionNames.Name(replay) : "given"),
            Seconds = seconds,
            ForwardPasses = forwards,
            Gflop = flop / 1e9,
        };
    }

    private static IReadOnlyList<string> Labels(PatchingSetup setup, PatchAxis axis) => axis switch
    {
        PatchAxis.Layer => Enumerable.Range(0, setup.Model.Config.NLayers).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        PatchAxis.Head => Enumerable.Range(0, setup.Model.Config.NHeads).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        _ => setup.PositionLabels,
    };

    /// <summary>Every index of a target's grid in row-major order.</summary>
    protected static IEnumerable<int[]> Indices(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var index = new int[shape.Count];
        long total = shape.Aggregate(1L, (a, b) => a * b);
        for (long n = 0; n < total; n++)
        {
            yield return (int[])index.Clone();
            for (int d = shape.Count - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
    }
}
