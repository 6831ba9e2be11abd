using IclNotebook.Runtime;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>
/// The gradient of the metric (summed over prompts, so each prompt's is its own) with respect to the residual stream entering
/// each receiver alone, in one run of the corrupted prompts whose token embeddings are moved <c>alpha</c> of the way to the
/// clean ones (0: the corrupted run). A head's query, key or value input: the gradient at its hook, back through the head's
/// own projection and ln1 at that run's resid_pre. An MLP's input: the gradient at hook_mlp_out, back through the MLP and ln2.
/// The logits: the gradient at the final residual stream. Keys and values per query head in grouped models (ungrouped, held
/// for this object's life).
/// </summary>
internal sealed class ReceiverGradients : IDisposable
{
    private readonly HookedTransformer _model;
    private readonly IDisposable? _mode;
    private readonly Dictionary<string, Tensor> _gradients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _values = new(StringComparer.Ordinal);

    public ReceiverGradients(PatchingSetup setup, IReadOnlyList<PathReceiver> receivers, double alpha)
    {
        _model = setup.Model;
        var cfg = _model.Config;
        _mode = receivers.Any(r => r.Ungroups(cfg)) ? _model.UngroupGroupedQueryAttention() : null;
        var gradientsAt = new HashSet<string>(StringComparer.Ordinal);
        var valuesAt = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in receivers)
        {
            if (r.Input == ReceiverInput.Logits) gradientsAt.Add(HookName.ResidPost(cfg.NLayers - 1));
            else if (r.IsHead) { gradientsAt.Add(HookName.Block(r.Activation, r.Layer)); valuesAt.Add(HookName.ResidPre(r.Layer)); }
            else { gradientsAt.Add(HookName.MlpOut(r.Layer)); valuesAt.Add(r.InputHook(cfg)); }
        }
        var kept = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            Run(setup, alpha, gradientsAt, valuesAt, kept);
        }
        catch
        {
            Dispose();                                                                    // the model's grouping restored, nothing kept
            throw;
        }
        finally
        {
            foreach (var t in kept.Values) t.Dispose();
        }
    }

    /// <summary>The forward and backward: gradients at <paramref name="gradientsAt"/>, values at <paramref name="valuesAt"/>.</summary>
    private void Run(PatchingSetup setup, double alpha, HashSet<string> gradientsAt, HashSet<string> valuesAt, Dictionary<string, Tensor> kept)
    {
        var (clean, corrupted) = (setup.Caches.Clean[HookName.Embed], setup.Caches.Corrupted[HookName.Embed]);
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var hooks = new List<(string, HookFunction)>
            {
                (HookName.Embed, (_, _) => corrupted.Plus(clean.Minus(corrupted).Times(alpha)).detach().requires_grad_(true)),
            };
            hooks.AddRange(gradientsAt.Select(h => (h, (HookFunction)((act, hp) =>
            {
                act.retain_grad();
                kept[hp.Name] = act.DetachFromDisposeScope();
                return null;
            }))));
            hooks.AddRange(valuesAt.Where(h => !gradientsAt.Contains(h)).Select(h => (h, (HookFunction)((act, hp) =>
            {
                _values[hp.Name] = act.detach().clone().DetachFromDisposeScope();
                return null;
            }))));
            using (_model.Hooks([.. hooks]))
            {
                var options = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(_model.ModelDevice) };
                setup.Metric.PerPromptAtRead(_model.Forward(setup.CorruptedTokens, options)).sum().backward();
            }
            foreach (var (name, act) in kept)
                _gradients[name] = (act.grad ?? zeros_like(act)).detach().clone().DetachFromDisposeScope();
        }
    }

    /// <summary>The gradients at the inputs of <paramref name="receivers"/> (all of one layer), [receivers, batch, pos, d_model].</summary>
    public Tensor Of(IReadOnlyList<PathReceiver> receivers)
    {
        var rows = new Tensor[receivers.Count];
        var byHead = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < receivers.Count; i++)
        {
            var r = receivers[i];
            if (r.Input == ReceiverInput.Logits) rows[i] = _gradients[HookName.ResidPost(_model.Config.NLayers - 1)];
            else if (r.IsHead)
            {
                if (!byHead.TryGetValue(r.Activation, out var heads))
                    byHead[r.Activation] = heads = HeadInputs(r.Layer, r.Activation);                           // [head, batch, pos, d_model]
                rows[i] = heads[r.Head!.Value];
            }
            else rows[i] = Backward(_values[r.InputHook(_model.Config)], x => _model.Block(r.Layer).MlpOutput(x), _gradients[HookName.MlpOut(r.Layer)]);
        }
        return stack(rows);
    }

    /// <summary>Every head's input gradient for one projection of layer <paramref name="layer"/>: [head, batch, pos, d_model].</summary>
    private Tensor HeadInputs(int layer, string activation)
    {
        var block = _model.Block(layer);
        var atNorm = block.Attn.HeadInputGradients(activation, _gradients[HookName.Block(activation, layer)]);  // [head, batch, pos, d_model]
        long heads = atNorm.shape[0];
        var x = _values[HookName.ResidPre(layer)];                                                          // [batch, pos, d_model]
        var repeated = x.unsqueeze(0).expand(heads, -1, -1, -1).reshape(-1, x.shape[1], x.shape[2]);        // [head*batch, pos, d_model]
        return Backward(repeated, block.Ln1, atNorm.reshape(repeated.shape)).view(atNorm.shape);
    }

    /// <summary>The vector-Jacobian product of <paramref name="f"/> at <paramref name="x"/> with <paramref name="cotangent"/>.</summary>
    private static Tensor Backward(Tensor x, Func<Tensor, Tensor> f, Tensor cotangent)
    {
        using var grad = enable_grad();
        var leaf = x.detach().requires_grad_(true);
        using (var scope = NewDisposeScope())
            f(leaf).mul(cotangent.to(leaf.dtype)).sum().backward();
        return leaf.grad!.detach();
    }

    public void Dispose()
    {
        foreach (var t in _gradients.Values.Concat(_values.Values)) t.Dispose();
        _mode?.Dispose();
    }
}
