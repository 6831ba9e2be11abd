using IclNotebook.Hooks;
using IclNotebook.Runtime;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// Attribution patching: a first-order (gradient) APPROXIMATION of activation patching. One
/// corrupted forward with gradients, one backward of the metric, and the clean run's cache give,
/// for every index at once, <c>metric(corrupted) + sum over the patched slice of
/// (clean - corrupted) * d metric / d activation</c>. Fast (2 forwards + 1 backward for every
/// target together) but approximate: large or non-linear effects (attention patterns especially)
/// can be badly off. Compare with the exact engines via <see cref="Compare"/> before trusting it.
/// </summary>
public static class AttributionPatching
{
    /// <summary>
    /// A prompt's memory during the gradient pass in multiples of its caches (<see cref="PatchingSetup.PromptRanges"/>): the
    /// backward keeps every activation of the forward. Measured on GPT-2 small's shape: about 120 MB per 107-token prompt
    /// against a 35 MB cache estimate.
    /// </summary>
    public const double ChunkWeight = 4;

    /// <summary>
    /// Approximate results for each set, from one gradient pass (per prompt chunk, <see cref="PatchingSetup.PromptRanges"/>)
    /// shared by all of them. Each result's <see cref="PatchGrid.Seconds"/> and <see cref="PatchGrid.Gflop"/> are its own
    /// estimation plus an equal share of the passes, so summed over the results they give the whole run;
    /// <see cref="PatchGrid.ForwardPasses"/> is the shared passes' 2 forwards each (clean cache, corrupted with gradients),
    /// the same for every result.
    /// </summary>
    public static IReadOnlyList<PatchResult> Run(PatchingSetup setup, IReadOnlyList<PatchTargetSet> sets)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(sets);
        if (sets.Count == 0) return [];
        foreach (var part in sets.SelectMany(s => s.Parts)) part.CheckApplies(setup.Model); // before any work
        using var scope = NewDisposeScope(); // every temporary tensor of the run ends here
        var cfg = setup.Model.Config;
        var parts = sets.SelectMany(s => s.Parts).ToList();
        var hooks = parts.SelectMany(p => p.HookNames(cfg)).ToHashSet(StringComparer.Ordinal);
        // One pass serves every part: ungrouped when any key/value part needs it (the other hooks hold the same numbers either way).
        var ungrouping = parts.FirstOrDefault(setup.Ungroups);
        int n = setup.Clean.Count;
        var perPrompt = sets.Select(_ => new List<double[]>()).ToArray();   // [set][cell][prompt]
        var ownSeconds = new double[sets.Count];
        double passSeconds = 0;
        int passes = 0;
        // Prompt chunks (PatchingSetup.PromptRanges) run one after another, each its own pass: a prompt's estimate is its own.
        setup.InChunks((chunk, start, count) =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var caches = ungrouping is null ? chunk.Caches : chunk.CachesFor(ungrouping);
            caches.Ensure(hooks);
            Dictionary<string, Tensor> grads;
            using (ungrouping is null ? null : chunk.ModeFor(ungrouping))
                grads = Gradients(chunk, hooks);
            passSeconds += clock.Elapsed.TotalSeconds;
            passes++;
            try
            {
                for (int s = 0; s < sets.Count; s++)
                {
                    var own = System.Diagnostics.Stopwatch.StartNew();
                    int cell = 0;
                    foreach (var part in sets[s].Parts)
                        for (int layer = 0; layer < cfg.NLayers; layer++)
                            foreach (var values in Estimate(chunk, caches, part, layer, grads[part.HookName(layer)]))
                            {
                                if (cell == perPrompt[s].Count) perPrompt[s].Add(new double[n]);
                                Array.Copy(values, 0, perPrompt[s][cell++], start, count);
                            }
                    ownSeconds[s] += own.Elapsed.TotalSeconds;
                }
            }
            finally
            {
                foreach (var g in grads.Values) g.Dispose();
            }
        }, ChunkWeight);
        // The pass every set shares, in forward-pass equivalents: the clean and corrupted caching forwards, the corrupted
        // forward with grad, and its backward (about two forwards): 4.
        double blocksFlop = FlopCount.Blocks(cfg, (double)n * setup.NPos, setup.NPos / 2.0, cfg.NLayers);
        double passFlop = 4 * (blocksFlop + FlopCount.Unembed(cfg, n)) / sets.Count;
        return sets.Select((set, s) => PatchingEngine.Assemble(setup, set, PatchEngineKind.Attribution,
                perPrompt[s].Select(p => p.Average()).ToArray(), forwards: 2 * passes, passFlop, passSeconds / sets.Count + ownSeconds[s]) with
            {
                PerPrompt = perPrompt[s],
            })
            .ToList();
    }

    /// <summary>Pearson correlation and largest absolute error (in the results' unit) of an approximation against an exact result.</summary>
    public static (double Pearson, double MaxAbsError) Compare(PatchResult approximate, PatchResult exact)
    {
        ArgumentNullException.ThrowIfNull(approximate);
        ArgumentNullException.ThrowIfNull(exact);
        if (!approximate.Shape.SequenceEqual(exact.Shape))
            throw new IclException($"Cannot compare {approximate.Target} [{string.Join(", ", approximate.Shape)}] " +
                $"with {exact.Target} [{string.Join(", ", exact.Shape)}].");
        var a = approximate.Values;
        var e = exact.Values;
        return (Statistics.Correlation.Pearson(a, e), a.Zip(e, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max());
    }

    /// <summary>d metric / d activation at each hook, from one corrupted forward + backward.</summary>
    private static Dictionary<string, Tensor> Gradients(PatchingSetup setup, HashSet<string> hooks)
    {
        var model = setup.Model;
        var kept = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        // Activations are kept out of the model's per-block dispose scopes until their gradients are read.
        // The embedding output is made a leaf that requires grad, so every later activation does.
        var functions = new List<(string, HookFunction)>
        {
            (HookName.Embed, (act, _) => act.detach().requires_grad_(true)),
        };
        HookFunction keepForGrad = (act, hp) => { act.retain_grad(); kept[hp.Name] = act.DetachFromDisposeScope(); return null; };
        functions.AddRange(hooks.Select(h => (h, keepForGrad)));
        using (model.Hooks(functions.ToArray()))
        {
            var readOptions = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(model.ModelDevice) };
            var readLogits = model.Forward(setup.CorruptedTokens, readOptions);
            setup.Metric.PerPromptAtRead(readLogits).mean().backward();
        }
        try
        {
            return kept.ToDictionary(kv => kv.Key,
                kv => (kv.Value.grad ?? zeros_like(kv.Value)).detach().DetachFromDisposeScope());
        }
        finally
        {
            foreach (var t in kept.Values) t.Dispose(); // activations were kept (outside the per-block scopes) only for their gradients
        }
    }

    /// <summary>
    /// Per-index estimates for one layer of a target, in the target's axis order, each prompt's: the gradient is of the mean
    /// over n prompts, so prompt b's own linear estimate is its corrupted metric plus n times its share of the contribution
    /// (and their mean is the corrupted baseline plus the whole contribution).
    /// </summary>
    private static double[][] Estimate(PatchingSetup setup, PatchingCaches caches, PatchTarget target, int layer, Tensor gradient)
    {
        using var scope = NewDisposeScope();
        string hook = target.HookName(layer);
        var contribution = (caches.Clean[hook] - caches.Corrupted[hook]) * gradient; // activation-shaped
        // Indexed dimensions in axis order; sum every other dimension but the batch (dimension 0).
        var dims = target.Axes.Skip(1).Select(target.DimOf).ToArray();
        var sumDims = Enumerable.Range(1, (int)contribution.dim() - 1).Where(d => !dims.Contains(d)).Select(d => (long)d).ToArray();
        var summed = sumDims.Length > 0 ? contribution.sum(sumDims) : contribution;   // [batch, indexed dims in increasing dim order]
        var order = dims.Select(d => 1L + dims.OrderBy(x => x).ToList().IndexOf(d)).Prepend(0L).ToArray();
        var ordered = summed.permute(order).to(float64).reshape(setup.Clean.Count, -1).cpu();   // [batch, cells], target axis order
        var x = ordered.data<double>().ToArray();
        int n = setup.Clean.Count, cells = (int)ordered.shape[1];
        return Enumerable.Range(0, cells)
            .Select(c => Enumerable.Range(0, n).Select(b => setup.CorruptedPerPrompt[b] + n * x[b * cells + c]).ToArray()).ToArray();
    }
}
