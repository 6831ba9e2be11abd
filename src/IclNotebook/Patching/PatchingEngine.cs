using IclNotebook.Progress;
using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Metrics;

namespace IclNotebook.Patching;

/// <summary>
/// An engine plans the work of each target as units (<see cref="PatchWork"/>: grid indices, their
/// estimated cost, how to compute them) and this base runs them: all of them, or one shard's
/// stretch (<see cref="RunShard"/>), and assembles stacked sets, labels, baselines, settings and
/// timings into a result. An unsharded run is the merge of its one shard, so sharded and
/// unsharded runs share every step.
/// </summary>
public abstract class PatchingEngine
{
    /// <summary>Which engine this is (recorded in results).</summary>
    public abstract PatchEngineKind Kind { get; }

    /// <summary>
    /// The units that together compute every index of <paramref name="target"/>'s grid exactly
    /// once, in the order the engine runs them best (same-layer work together). Planning may fill
    /// caches; it must give the same units, costs included, every time for the same setup.
    /// </summary>
    internal abstract IReadOnlyList<PatchWork> Plan(PatchingSetup setup, PatchTarget target);

    public PatchResult Run(PatchingSetup setup, PatchTarget target, IProgress<WorkProgress>? progress = null, CancellationToken ct = default) =>
        Run(setup, PatchTargetSet.Of(target), progress, ct);

    public PatchResult Run(PatchingSetup setup, PatchTargetSet set, IProgress<WorkProgress>? progress = null, CancellationToken ct = default) =>
        PatchResult.Merge([RunShard(setup, set, PatchShard.Whole, progress, ct)]);

    /// <summary>
    /// Computes <paramref name="shard"/>'s part of the grid of <paramref name="set"/> (all parts of a
    /// stacked set are one grid): every part is planned, the units laid end to end and cut into
    /// shards of even estimated cost (<see cref="PatchShard.Split"/>), and only this shard's units run.
    /// </summary>
    public PatchResultShard RunShard(PatchingSetup setup, PatchTargetSet set, PatchShard shard, IProgress<WorkProgress>? progress = null,
            CancellationToken ct = default)
    {
        try
        {
            return RunShardInScope(setup, set, shard, progress, ct);
        }
        finally
        {
            // The run's temporaries were freed into whichever malloc arena the calling thread used; a notebook
            // kernel runs the next cell on another thread and arena, so without this the freed memory of each
            // run stays resident beside the next one's.
            Runtime.NativeHeap.Trim();
        }
    }

    private PatchResultShard RunShardInScope(PatchingSetup setup, PatchTargetSet set, PatchShard shard, IProgress<WorkProgress>? progress,
            CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(shard);
        foreach (var part in set.Parts) part.CheckApplies(setup.Model); // before any work
        using var scope = TorchSharp.torch.NewDisposeScope(); // every temporary tensor of the run ends here
        var clock = Stopwatch.StartNew();
        long partSize = set.Parts[0].Shape(setup.Model.Config, setup.NPos).Aggregate(1L, (a, b) => a * b);
        int n = setup.Clean.Count;
        var perPrompt = new SortedDictionary<int, double[]>();   // flat index of the stacked grid -> each prompt's metric
        HashSet<int>? mine = null;
        long forwards = 0;
        double flop = 0;
        // Prompt chunks (PatchingSetup.PromptRanges) run one after another with their own caches; one chunk is the setup itself.
        setup.InChunks((chunk, start, count) =>
        {
            var units = set.Parts.SelectMany((part, p) => Plan(chunk, part).Select(work => (Part: p, Work: work))).ToList();
            // The shard's indices come from the first chunk's plan (the same in every process); later chunks plan their
            // own units and run those that hold any of these indices.
            if (mine is null)
            {
                var (from, to) = shard.Split(units.Select(u => u.Work.Flop).ToList());
                mine = units.Skip(from).Take(to - from).SelectMany(u => u.Work.Flats.Select(f => Stacked(u.Part, f))).ToHashSet();
                foreach (int flat in mine) perPrompt[flat] = new double[n];
            }
            foreach (var group in units.Where(u => u.Work.Flats.Any(f => mine.Contains(Stacked(u.Part, f)))).GroupBy(u => u.Part))
            {
                var target = set.Parts[group.Key];
                // Progress in patches of every prompt: this part's indices, of which the earlier chunks' prompts are done.
                long cells = mine.Count(f => f / partSize == group.Key), promptPatches = start * cells;
                void Report() => progress?.Report(new WorkProgress(target.Name, promptPatches / n, cells, WorkProgress.Patches));
                // Units with no forward (known values) count at once, as finished work.
                foreach (var (_, work) in group.Where(u => u.Work.Forwards == 0)) promptPatches += Take(group.Key, work);
                Report();
                foreach (var (_, work) in group.Where(u => u.Work.Forwards > 0))
                {
                    ct.ThrowIfCancellationRequested();
                    promptPatches += Take(group.Key, work);
                    Report();
                }
            }

            // Computes a unit and keeps the shard's values in every prompt's place; returns index x prompt pairs done.
            long Take(int part, PatchWork work)
            {
                var values = work.Compute();
                if (values.Length != work.Flats.Length || values.Any(v => v.Length != count))
                    throw new InvalidOperationException($"{Kind} engine: a unit of {set.Parts[part].Name} returned {values.Length} values " +
                        $"for {work.Flats.Length} indices of {count} prompts.");
                long kept = 0;
                for (int i = 0; i < values.Length; i++)
                    if (perPrompt.TryGetValue(Stacked(part, work.Flats[i]), out var all))
                    {
                        Array.Copy(values[i], 0, all, start, count);
                        kept += count;
                    }
                forwards += work.Forwards;
                flop += work.Flop;
                return kept;
            }
        });
        int Stacked(int part, int flat) => (int)(part * partSize + flat);

        var whole = Assemble(setup, set, Kind, [], 0, 0, 0);
        // A cell's value is the mean over prompts of the metric; every prompt's is kept beside it (for intervals).
        return new PatchResultShard(whole, shard, perPrompt.Keys.ToArray(), perPrompt.Values.Select(v => v.Average()).ToArray())
        {
            PerPrompt = perPrompt.Values.Select(v => (IReadOnlyList<double>)v).ToArray(),
            Seconds = clock.Elapsed.TotalSeconds,
            ForwardPasses = forwards,
            Gflop = flop / 1e9,
        };
    }

    /// <summary>A result from per-index values (parts stacked along a leading PatchType axis when more than one).</summary>
    internal static PatchResult Assemble(PatchingSetup setup, PatchTargetSet set, PatchEngineKind engine, IReadOnlyList<double> values, long forwards,
            double flop, double seconds)
    {
        var first = set.Parts[0];
        var shape = first.Shape(setup.Model.Config, setup.NPos).ToList();
        var axes = first.Axes.Select(a => a == PatchAxis.DestPos ? PatchAxis.Pos : a).ToList();   // a pattern's destination is the set's position
        var labels = first.Axes.Select(a => Labels(setup, a)).ToList();
        if (set.Parts.Count > 1)
        {
            shape.Insert(0, set.Parts.Count);
            axes.Insert(0, PatchAxis.PatchType);
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
            CleanPerPrompt = setup.CleanPerPrompt,
            CorruptedPerPrompt = setup.CorruptedPerPrompt,
            Settings = new PatchSettings(m.Name, setup.Model.Processing, m.DType, engine, setup.Metric.Description, setup.Metric.Unit,
                setup.Metric.Read, setup.Replay),
            Seconds = seconds,
            ForwardPasses = forwards,
            Gflop = flop / 1e9,
        };
    }

    private static IReadOnlyList<string> Labels(PatchingSetup setup, PatchAxis axis) => axis switch
    {
        PatchAxis.Layer => Enumerable.Range(0, setup.Model.Config.NLayers)
            .Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        PatchAxis.Head => Enumerable.Range(0, setup.Model.Config.NHeads)
            .Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
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
