using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>
/// Path patching written from its definition (Wang et al. 2022's three steps, on the graph of heads and MLPs: unlike their
/// recipe, where MLPs are recomputed, every MLP other than the sender is frozen too, since MLPs are nodes of this graph),
/// with whole forwards of the corrupted prompts; the yardstick <see cref="FastPathPatching"/> is tested against. For each sender:
/// <list type="number">
/// <item>(the caches) the clean and corrupted runs' token embeddings, heads' outputs (<c>hook_z</c>) and MLP outputs;</item>
/// <item>the corrupted run with the sender's output taken from the clean run and every other head and MLP frozen at its
///   corrupted value, so the sender's change reaches each receiver directly and by no other path; the receivers' inputs
///   (the residual stream before ln1, before ln2, and the final one) are recorded, and the logits are the logits receiver's result;</item>
/// <item>for each other receiver, the corrupted run with that input alone replaced by the recorded one (a head's query, key or
///   value recomputed from it; an MLP's output recomputed from it) and everything else free; the metric.</item>
/// </list>
/// Every path is computed, reachable or not (an unreachable one gives the corrupted run's values up to rounding).
/// </summary>
internal static class ReferencePathPatching
{
    public static double[][][] Run(PatchingSetup setup, IReadOnlyList<PathSender> senders, IReadOnlyList<PathReceiver> receivers,
        IProgress<Progress.WorkProgress>? progress, CancellationToken ct)
    {
        var model = setup.Model;
        var cfg = model.Config;
        var zHooks = Enumerable.Range(0, cfg.NLayers).Select(HookName.Z).ToArray();
        var mlpHooks = Enumerable.Range(0, cfg.NLayers).Select(l => HookName.MlpOut(l)).ToArray();
        setup.Caches.Ensure(zHooks.Concat(mlpHooks).Append(HookName.Embed));
        var result = new double[senders.Count][][];
        for (int s = 0; s < senders.Count; s++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new Progress.WorkProgress("path patching (reference)", s, senders.Count, "senders"));
            result[s] = new double[receivers.Count][];
            var (inputs, logitsMetric) = Frozen(setup, senders[s], zHooks, mlpHooks);
            using (inputs)
                for (int r = 0; r < receivers.Count; r++)
                    result[s][r] = receivers[r].Input == ReceiverInput.Logits ? logitsMetric : Receive(setup, receivers[r], inputs);
        }
        progress?.Report(new Progress.WorkProgress("path patching (reference)", senders.Count, senders.Count, "senders"));
        return result;
    }

    /// <summary>
    /// Step 2: the corrupted run with <paramref name="sender"/> clean and every other head and MLP at its corrupted value.
    /// Returns the residual stream before every block (resid_pre) and before every MLP, and the metric of the run's logits.
    /// </summary>
    private static (ActivationCache Inputs, double[] LogitsMetric) Frozen(PatchingSetup setup, PathSender sender, string[] zHooks, string[] mlpHooks)
    {
        var model = setup.Model;
        var (clean, corrupted) = (setup.Caches.Clean, setup.Caches.Corrupted);
        var hooks = new List<(string, HookFunction)> { (HookName.Embed, (_, _) => (sender.IsEmbed ? clean : corrupted)[HookName.Embed].clone()) };
        for (int l = 0; l < model.Config.NLayers; l++)
        {
            int layer = l;
            hooks.Add((zHooks[l], (_, _) =>
            {
                var z = corrupted[zHooks[layer]].clone();                                   // [batch, pos, head, d_head]
                if (sender.Layer == layer && sender.Head is { } h) z[.., .., h] = clean[zHooks[layer]][.., .., h];
                return z;
            }));
            hooks.Add((mlpHooks[l], (_, _) => (sender.Layer == layer && sender.IsMlp ? clean : corrupted)[mlpHooks[layer]].clone()));
        }
        static bool Recorded(string name) =>
            name.EndsWith(".hook_resid_pre", StringComparison.Ordinal) || name.EndsWith(".hook_resid_mid", StringComparison.Ordinal);
        using var scope = NewDisposeScope();
        using var attached = model.Hooks([.. hooks]);
        var options = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(model.ModelDevice) };
        var (logits, cache) = model.RunWithCache(setup.CorruptedTokens, Recorded, options);
        var metric = setup.Metric.PerPromptAtRead(logits).cpu().data<double>().ToArray();
        return (cache, metric);
    }

    /// <summary>
    /// Step 3: the corrupted run with <paramref name="receiver"/>'s input alone taken from <paramref name="inputs"/>; each prompt's metric.
    /// </summary>
    internal static double[] Receive(PatchingSetup setup, PathReceiver receiver, ActivationCache inputs)
    {
        var model = setup.Model;
        var block = model.Block(receiver.Layer);
        using var scope = NewDisposeScope();
        using var mode = receiver.Ungroups(model.Config) ? model.UngroupGroupedQueryAttention() : null;
        string hook;
        HookFunction patch;
        if (receiver.IsHead)
        {
            // The head's q, k or v as the model computes it from the recorded residual stream (ln1, the projection), no hook firing.
            var value = block.Attn.HeadProjection(receiver.Activation, receiver.Head!.Value, block.Ln1(inputs[receiver.InputHook(model.Config)]));
            hook = HookName.Block(receiver.Activation, receiver.Layer);
            patch = (act, _) =>
            {
                var patched = act.clone();
                patched[.., .., receiver.Head.Value] = value;
                return patched;
            };
        }
        else
        {
            var value = block.MlpOutput(inputs[receiver.InputHook(model.Config)]);
            hook = HookName.MlpOut(receiver.Layer);
            patch = (_, _) => value.clone();
        }
        using var attached = model.Hooks((hook, patch));
        var options = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(model.ModelDevice) };
        return setup.Metric.PerPromptAtRead(model.Run(setup.CorruptedTokens, options)).cpu().data<double>().ToArray();
    }
}
