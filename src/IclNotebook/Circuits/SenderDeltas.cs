using IclNotebook.Runtime;
using IclNotebook.Hooks;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>
/// What each sender adds to the residual stream when its output is taken from the clean run and every other component stays
/// at its corrupted value: a head's, its layer's attention output with that head's <c>hook_z</c> clean minus the corrupted one
/// (through W_O, b_O and, where the model has it, the norm after attention, so Gemma's post-norm is exact); an MLP's, its clean
/// output minus its corrupted one; the embeddings', the clean token embeddings minus the corrupted ones. With everything else frozen, a receiver's input is the corrupted one plus this change.
/// </summary>
internal sealed class SenderDeltas(PatchingSetup setup) : IDisposable
{
    private readonly Dictionary<int, Tensor> _attention = [];
    private readonly Dictionary<PathSender, int?> _starts = [];

    /// <summary>The hooks the deltas are computed from.</summary>
    public static IEnumerable<string> Hooks(int layers) =>
        Enumerable.Range(0, layers).SelectMany(l => new[] { HookName.Z(l), HookName.MlpOut(l) }).Prepend(HookName.Embed);

    /// <summary>The sender's change of the residual stream, [batch, pos, d_model] float32 (in the caller's dispose scope).</summary>
    public Tensor Of(PathSender sender)
    {
        var (clean, corrupted) = (setup.Caches.Clean, setup.Caches.Corrupted);
        if (sender.IsEmbed) return Precision(clean[HookName.Embed]).Minus(Precision(corrupted[HookName.Embed]));
        if (sender.IsMlp)
            return Precision(clean[HookName.MlpOut(sender.Layer)]).Minus(Precision(corrupted[HookName.MlpOut(sender.Layer)]));
        string z = HookName.Z(sender.Layer);
        using var mixed = corrupted[z].clone();                                           // [batch, pos, head, d_head]
        int h = sender.Head!.Value;
        mixed[.., .., h] = clean[z][.., .., h];
        using var noGrad = no_grad();
        return Precision(setup.Model.Block(sender.Layer).AttentionOutput(mixed)).Minus(CorruptedAttention(sender.Layer));
    }

    /// <summary>The first position where the sender changes the residual stream of any prompt; null when it changes nothing.</summary>
    public int? Start(PathSender sender)
    {
        if (_starts.TryGetValue(sender, out var known)) return known;
        using var scope = NewDisposeScope();
        var changed = Of(sender).ne(0).any(2).any(0).nonzero();                          // positions where any prompt changes
        int? start = changed.shape[0] == 0 ? null : (int)changed[0, 0].item<long>();
        _starts[sender] = start;
        return start;
    }

    /// <summary>The layer's corrupted attention output computed the way <see cref="Of"/> computes the patched one.</summary>
    private Tensor CorruptedAttention(int layer)
    {
        if (_attention.TryGetValue(layer, out var known)) return known;
        using var noGrad = no_grad();
        var output = Precision(setup.Model.Block(layer).AttentionOutput(setup.Caches.Corrupted[HookName.Z(layer)])).DetachFromDisposeScope();
        _attention[layer] = output;
        return output;
    }

    private static Tensor Precision(Tensor x) => Model.Precision.ToResidual(x);

    public void Dispose()
    {
        foreach (var t in _attention.Values) t.Dispose();
        _attention.Clear();
    }
}
