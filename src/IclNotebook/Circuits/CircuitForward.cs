using IclNotebook.Runtime;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>
/// A circuit run, exactly: the clean prompts, with every edge of the graph that is not in the circuit carrying its sender's
/// corrupted output. Each receiver's input is the corrupted run's plus, for each circuit edge into it, its sender's output in
/// this run minus the sender's corrupted output (the embeddings, each head's own output, each MLP's), so with every edge the
/// run is the clean one and with none the corrupted one. Receivers are every head's q, k and v input, every MLP's input and
/// the logits. Needs each head's output to add into the residual stream: models with a norm after attention are refused.
/// </summary>
internal static class CircuitForward
{
    /// <summary>Each prompt's metric with <paramref name="circuit"/>'s edges alone carrying the run's values.</summary>
    public static double[] Metric(PatchingSetup setup, IReadOnlyCollection<(PathSender Sender, PathReceiver Receiver)> circuit)
    {
        var model = setup.Model;
        var cfg = model.Config;
        if (!Supports(cfg))
            throw new IclException($"{cfg.Name} ({cfg.ModelType}) normalises the sum of its heads' outputs after attention, so a head's " +
                "contribution to the residual stream is not its own and an edge-level circuit run is not defined; path patching " +
                "and edge attribution are (each changes one sender at a time).");
        foreach (var (s, r) in circuit)
        {
            s.Check(cfg);
            r.Check(cfg);
            if (!r.IsReachedBy(s, cfg)) throw new IclException($"{s.Label} -> {r.Label} is not an edge of the graph: {s.Label} cannot reach {r.Label}.");
        }
        var incoming = circuit.Distinct().GroupBy(e => e.Receiver).ToDictionary(g => g.Key, g => g.Select(e => e.Sender).ToArray());
        var heads = circuit.Select(e => e.Sender).Where(s => s.IsHead).Select(s => s.Layer).ToHashSet();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var mode = cfg.Grouped ? model.UngroupGroupedQueryAttention() : null;
        var corrupted = setup.Caches.Corrupted;
        setup.Caches.Ensure(SenderDeltas.Hooks(cfg.NLayers).Concat(Inputs(model)));
        var changes = new Dictionary<PathSender, Tensor>();                                       // [batch, pos, d_model] each
        // A sender's change outlives the block that made it (the forward disposes each block's tensors).
        void Keep(PathSender sender, Tensor change) => changes[sender] = change.DetachFromDisposeScope();
        Tensor Input(PathReceiver receiver)
        {
            var x = corrupted[receiver.InputHook(cfg)];
            foreach (var s in incoming.GetValueOrDefault(receiver, [])) x = x.Plus(changes[s]);
            return x;
        }
        var hooks = new List<(string, HookFunction)>
        {
            (HookName.Embed, (act, _) => { Keep(PathSender.Embed, act.Minus(corrupted[HookName.Embed])); return null; }),
            (HookName.ResidPost(cfg.NLayers - 1), (_, _) => Input(PathReceiver.Logits(cfg.NLayers))),
        };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            int layer = l;
            var block = model.Block(layer);
            foreach (var activation in new[] { "q", "k", "v" })
                hooks.Add((HookName.Block(activation, layer), (act, _) =>
                {
                    var patched = act.clone();                                                    // [batch, pos, head, d_head]
                    for (int h = 0; h < cfg.NHeads; h++)
                    {
                        var receiver = new PathReceiver(activation == "q" ? ReceiverInput.Query : activation == "k" ? ReceiverInput.Key
                            : ReceiverInput.Value, layer, h);
                        patched[.., .., h] = block.Attn.HeadProjection(activation, h, block.Ln1(Input(receiver)));
                    }
                    return patched;
                }));
            if (heads.Contains(layer))
                hooks.Add((HookName.Z(layer), (act, _) =>
                {
                    var results = block.Attn.HeadResults(act.Minus(corrupted[HookName.Z(layer)]));  // [batch, pos, head, d_model]
                    for (int h = 0; h < cfg.NHeads; h++) Keep(PathSender.AttentionHead(layer, h), results[.., .., h]);
                    return null;
                }));
            hooks.Add((HookName.MlpOut(layer), (_, _) =>
            {
                var output = block.MlpOutput(Input(PathReceiver.MlpInput(layer)));
                Keep(PathSender.Mlp(layer), output.Minus(corrupted[HookName.MlpOut(layer)]));
                return output;
            }));
        }
        try
        {
            using var attached = model.Hooks([.. hooks]);
            var options = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(model.ModelDevice) };
            return setup.Metric.PerPromptAtRead(model.Run(setup.CleanTokens, options)).cpu().data<double>().ToArray();
        }
        finally
        {
            foreach (var change in changes.Values) change.Dispose();
        }
    }

    /// <summary>Whether an edge-level circuit run is defined: each head's output adds into the residual stream (no norm after attention).</summary>
    public static bool Supports(ModelConfig config) => !config.PostNorms && config.PreNorms;

    /// <summary>The corrupted residual streams receivers read: resid_pre, the MLPs' inputs, the final one.</summary>
    private static IEnumerable<string> Inputs(HookedTransformer model) =>
        PathReceiver.All(model.Config).Select(r => r.InputHook(model.Config)).Distinct(StringComparer.Ordinal);
}
