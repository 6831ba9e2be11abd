using IclNotebook.Hooks;
using IclNotebook.Patching;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>
/// What each sender adds to the residual stream when its output is taken from the clean run and every other component stays
/// at its corrupted value. A head's: its clean minus its corrupted <c>hook_z</c>, through its own slice of W_O; in a model
/// with a norm after attention (Gemma 2 and 3, OLMo-2), the layer's attention output with that head's z clean minus the
/// corrupted one (the norm mixes the heads). An MLP's: its clean minus its corrupted output. The embeddings': the clean token
/// embeddings minus the corrupted ones. With everything else frozen, a receiver's input is the corrupted one plus this change.
/// </summary>
internal sealed class SenderDeltas(PatchingSetup setup) : IDisposable
{
    private readonly Dictionary<int, Tensor> _attention = [];
    private readonly Dictionary<PathSender, int?> _starts = [];
    private readonly bool _postNorm = setup.Model.Config.PostNorms;

    /// <summary>The hooks the deltas are computed from.</summary>
    public static IEnumerable<string> Hooks(int layers) =>
        Enumerable.Range(0, layers).SelectMany(l => new[] { HookName.Z(l), HookName.MlpOut(l) }).Prepend(HookName.Embed);

    /// <summary>The sender's change of the residual stream, [batch, pos, d_model] float32 (in the caller's dispose scope).</summary>
    public Tensor Of(PathSender sender)
    {
        var (clean, corrupted) = (setup.Caches.Clean, setup.Caches.Corrupted);
        using var noGrad = no_grad();
        if (sender.IsEmbed) return Residual(clean[HookName.Embed]).Minus(Residual(corrupted[HookName.Embed]));
        if (sender.IsMlp) return Residual(clean[HookName.MlpOut(sender.Layer)]).Minus(Residual(corrupted[HookName.MlpOut(sender.Layer)]));
        string z = HookName.Z(sender.Layer);
        int h = sender.Head!.Value;
        var attention = setup.Model.Block(sender.Layer).Attn;
        if (!_postNorm)
        {
            using var change = clean[z][.., .., h].Minus(corrupted[z][.., .., h]);       // [batch, pos, d_head]
            return Residual(attention.HeadResult(change, h));
        }
        using var mixed = corrupted[z].clone();                                           // [batch, pos, head, d_head]
        mixed[.., .., h] = clean[z][.., .., h];
        return Residual(setup.Model.Block(sender.Layer).AttentionOutput(mixed)).Minus(CorruptedAttention(sender.Layer));
    }

    /// <summary>The first position where the sender changes the residual stream of any prompt; null when it changes nothing.</summary>
    public int? Start(PathSender sender)
    {
        if (_starts.TryGetValue(sender, out var known)) return known;
        using var scope = NewDisposeScope();
        var changed = Of(sender).ne(HeldScalars.Of(0)).any(2).any(0).nonzero();        // positions where any prompt changes
        int? start = changed.shape[0] == 0 ? null : (int)changed[0, 0].item<long>();
        _starts[sender] = start;
        return start;
    }

    /// <summary>The layer's corrupted attention output computed the way <see cref="Of"/> computes the patched one (post-norm models).</summary>
    private Tensor CorruptedAttention(int layer)
    {
        if (_attention.TryGetValue(layer, out var known)) return known;
        var output = Residual(setup.Model.Block(layer).AttentionOutput(setup.Caches.Corrupted[HookName.Z(layer)])).DetachFromDisposeScope();
        _attention[layer] = output;
        return output;
    }

    private static Tensor Residual(Tensor x) => Model.Precision.ToResidual(x);

    public void Dispose()
    {
        foreach (var t in _attention.Values) t.Dispose();
        _attention.Clear();
    }
}
