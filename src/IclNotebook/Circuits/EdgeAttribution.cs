using IclNotebook.Hooks;
using IclNotebook.Patching;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>How <see cref="EdgeAttribution.Run"/> estimates.</summary>
public sealed record EdgeAttributionOptions
{
    /// <summary>
    /// 0 (default): EAP, the gradient at the corrupted run (Syed et al. 2023). m > 0: EAP-IG (Hanna et al. 2024), the gradient
    /// averaged over m runs whose token embeddings are interpolated from the corrupted ones towards the clean ones, at
    /// alpha = k / m for k = 1..m (the right Riemann sum of the integrated gradient).
    /// </summary>
    public int IntegratedGradientSteps { get; init; }
}

/// <summary>
/// Edge attribution patching: every path-patching effect at once, estimated to first order. The effect of the edge from
/// sender u to receiver v is taken as <c>(u's change of the residual stream) . (d metric / d v's input)</c>, summed over
/// positions and the model dimension, per prompt: the change is exact path patching's (<see cref="SenderDeltas"/>), the
/// gradient that of the corrupted run (EAP) or its average along the interpolation (EAP-IG), with respect to the residual
/// stream entering one receiver alone (through ln1 and the head's own projection, or through ln2 and the MLP, or the final
/// residual stream). One forward and backward per step and a few small products per receiver layer, for the whole graph.
/// Approximate: compare with <see cref="PathPatching"/> (exact) before trusting a ranking.
/// </summary>
public static class EdgeAttribution
{
    /// <summary>
    /// Pearson's r of an estimate's normalised effects against an exact grid's over the paths that exist (sender reaches
    /// receiver), and the largest difference of normalised effects.
    /// </summary>
    public static (double Pearson, double MaxAbsError) Compare(PathPatchingResult estimate, PathPatchingResult exact, Model.ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        ArgumentNullException.ThrowIfNull(exact);
        ArgumentNullException.ThrowIfNull(config);
        if (!estimate.Senders.SequenceEqual(exact.Senders) || !estimate.Receivers.SequenceEqual(exact.Receivers))
            throw new IclException("An estimate is compared with an exact grid of the same senders and receivers, in the same order.");
        if (!exact.Senders.Any(s => exact.Receivers.Any(r => r.IsReachedBy(s, config))))
            throw new IclException("No sender of these grids reaches any of their receivers: there is nothing to compare.");
        var (a, b) = (new List<double>(), new List<double>());
        for (int s = 0; s < exact.Senders.Count; s++)
            for (int r = 0; r < exact.Receivers.Count; r++)
                if (exact.Receivers[r].IsReachedBy(exact.Senders[s], config))
                {
                    a.Add(estimate.Normalised(s, r));
                    b.Add(exact.Normalised(s, r));
                }
        return (Statistics.Correlation.Pearson(a, b), a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max());
    }

    /// <summary>Estimated effects of every sender into every receiver (defaults as <see cref="PathPatching.Run"/>), as a path-patching grid.</summary>
    public static PathPatchingResult Run(PatchingSetup setup, IReadOnlyList<PathSender>? senders = null,
        IReadOnlyList<PathReceiver>? receivers = null, EdgeAttributionOptions? options = null, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        options ??= new EdgeAttributionOptions();
        if (options.IntegratedGradientSteps < 0)
            throw new IclException($"EAP-IG needs a positive number of steps (0 for plain EAP); got {options.IntegratedGradientSteps}.");
        var model = setup.Model;
        var cfg = model.Config;
        (senders, receivers) = PathPatching.Graph(cfg, senders, receivers, "Edge attribution");
        int batch = setup.Clean.Count;
        setup.Caches.Ensure(SenderDeltas.Hooks(cfg.NLayers));
        var scores = new double[senders.Count, receivers.Count, batch];
        var alphas = options.IntegratedGradientSteps == 0 ? [0.0]
            : Enumerable.Range(1, options.IntegratedGradientSteps).Select(k => (double)k / options.IntegratedGradientSteps).ToArray();
        using var scope = NewDisposeScope();
        using var deltas = new SenderDeltas(setup);
        var first = setup.Caches.Corrupted[HookName.Embed];
        var changes = zeros([senders.Count, first.shape[0], first.shape[1], cfg.DModel], device: first.device); // [senders, batch, pos, d_model]
        for (int s = 0; s < senders.Count; s++)
        {
            using var one = NewDisposeScope();
            changes[s].copy_(deltas.Of(senders[s]));
        }
        for (int a = 0; a < alphas.Length; a++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new WorkProgress("edge attribution", a, alphas.Length, WorkProgress.Steps));
            using var step = NewDisposeScope();
            using var gradients = new ReceiverGradients(setup, receivers, alphas[a]);
            foreach (var layer in receivers.Select(r => r.Layer).Distinct())
            {
                using var layerScope = NewDisposeScope();
                var at = Enumerable.Range(0, receivers.Count).Where(r => receivers[r].Layer == layer).ToArray();
                var g = gradients.Of(at.Select(r => receivers[r]).ToArray());                 // [receivers, batch, pos, d_model]
                var contribution = einsum("sbpd,rbpd->srb", changes, g).to(float64).cpu().data<double>().ToArray();
                for (int s = 0; s < senders.Count; s++)
                    for (int i = 0; i < at.Length; i++)
                        for (int b = 0; b < batch; b++)
                            scores[s, at[i], b] += contribution[(s * at.Length + i) * batch + b] / alphas.Length;
            }
        }
        progress?.Report(new WorkProgress("edge attribution", alphas.Length, alphas.Length, WorkProgress.Steps));
        var perPrompt = senders.Select((s, i) => receivers.Select((r, j) => (IReadOnlyList<double>)Enumerable.Range(0, batch)
            .Select(b => r.IsReachedBy(s, cfg) ? setup.CorruptedPerPrompt[b] + scores[i, j, b] : setup.CorruptedPerPrompt[b]).ToArray())
            .ToArray()).ToArray();
        return PathPatchingResult.Of(setup, senders, receivers, perPrompt, PatchEngineKind.Attribution, options.IntegratedGradientSteps);
    }
}
