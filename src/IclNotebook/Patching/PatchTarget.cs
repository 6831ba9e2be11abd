using IclNotebook.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// One kind of activation patch, as data: which hook (TL activation name, e.g. <c>resid_pre</c>,
/// <c>z</c>, <c>pattern</c>), its layout, and the axes iterated over, in result order. Each index
/// replaces the corrupted activation's slice at that index with the clean run's, exactly as TL's
/// patch setters do. See <see cref="PatchTargets"/> for the table.
/// </summary>
/// <param name="Name">Target name, TL's function suffix (<c>resid_pre</c>, <c>attn_head_out_all_pos</c>).</param>
/// <param name="Activation">TL activation name (<c>resid_pre</c>, <c>attn_out</c>, <c>z</c>, <c>q</c>, <c>pattern</c>...).</param>
/// <param name="Layout">Dimension layout of the hooked activation.</param>
/// <param name="Axes">Iterated axes in result order; the first is always <see cref="PatchAxis.Layer"/>.</param>
/// <param name="Title">Human title (e.g. "Output", "Residual stream (pre)").</param>
public sealed record PatchTarget(string Name, string Activation, ActivationLayout Layout, IReadOnlyList<PatchAxis> Axes, string Title)
{
    /// <summary>The hook this target patches in <paramref name="layer"/> (TL's <c>get_act_name</c>).</summary>
    public string HookName(int layer) => Hooks.HookName.Block(Activation, layer);

    /// <summary>
    /// Throws, naming the hook and the architecture, when <paramref name="model"/> has no hook for
    /// this target (e.g. resid_mid on a model whose attention and MLP run in parallel).
    /// </summary>
    public void CheckApplies(HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var hook = HookName(0);
        if (!model.HookPoints.ContainsKey(hook))
            throw new IclException($"Patch target '{Name}' patches {hook}, which {model.Config.Name} " +
                $"({model.Config.ModelType}{(model.Config.ParallelAttnMlp ? ", attention and MLP in parallel" : "")}) " +
                "does not have; choose another target.");
    }

    /// <summary>This target's hook in every layer of <paramref name="config"/>.</summary>
    public IEnumerable<string> HookNames(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Enumerable.Range(0, config.NLayers).Select(HookName);
    }

    /// <summary>Result shape for a model and a padded prompt length.</summary>
    public long[] Shape(ModelConfig cfg, int nPos) => Axes.Select(a => (long)(a switch
    {
        PatchAxis.Layer => cfg.NLayers,
        PatchAxis.Head => cfg.NHeads,
        _ => nPos,
    })).ToArray();

    /// <summary>The activation dimension an axis indexes, for this layout (batch is dimension 0).</summary>
    public int DimOf(PatchAxis axis) => (Layout, axis) switch
    {
        (ActivationLayout.PosVector, PatchAxis.Pos) => 1,
        (ActivationLayout.HeadVector, PatchAxis.Pos) => 1,
        (ActivationLayout.HeadVector, PatchAxis.Head) => 2,
        (ActivationLayout.Pattern, PatchAxis.Head) => 1,
        (ActivationLayout.Pattern, PatchAxis.DestPos) => 2,
        (ActivationLayout.Pattern, PatchAxis.SrcPos) => 3,
        _ => throw new IclException($"Patch target '{Name}': axis {axis} does not apply to a {Layout} activation."),
    };

    /// <summary>
    /// The index into the activation for one result index (<paramref name="index"/> in
    /// <see cref="Axes"/> order): a single element on each indexed dimension, everything else whole.
    /// <paramref name="position"/> maps Pos/DestPos (default: the position itself), e.g. to the
    /// several places a position occupies in a packed segment; source positions are never mapped.
    /// </summary>
    public TensorIndex[] ActivationIndex(IReadOnlyList<int> index, int rank, Func<int, TensorIndex>? position = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        var result = Enumerable.Repeat(TensorIndex.Colon, rank).ToArray();
        for (int i = 1; i < Axes.Count; i++)
            result[DimOf(Axes[i])] = Axes[i] is PatchAxis.Pos or PatchAxis.DestPos
                ? position?.Invoke(index[i]) ?? TensorIndex.Single(index[i])
                : TensorIndex.Single(index[i]);
        return result;
    }

    /// <summary>The activation dimension that runs over (destination) positions.</summary>
    public int PositionDim => Layout == ActivationLayout.Pattern ? 2 : 1;

    /// <summary>Whether an index fixes the position (by-position targets) rather than patching all positions.</summary>
    public bool IndexesPosition => Axes.Any(a => a is PatchAxis.Pos or PatchAxis.DestPos);

    /// <summary>
    /// The first position at which patching <paramref name="index"/> changes the activation, given
    /// <paramref name="differs"/> = (clean != corrupted) for the whole activation; null when the
    /// patch changes nothing (its result is exactly the corrupted baseline).
    /// </summary>
    public int? FirstChangedPosition(Tensor differs, IReadOnlyList<int> index)
    {
        ArgumentNullException.ThrowIfNull(differs);
        ArgumentNullException.ThrowIfNull(index);
        var at = ActivationIndex(index, (int)differs.dim());
        using var slice = differs[at];
        if (IndexesPosition)
            return slice.any().item<bool>() ? index[Axes.ToList().FindIndex(a => a is PatchAxis.Pos or PatchAxis.DestPos)] : null;
        // Dimensions indexed before the position dimension disappear from the slice.
        int sliceDim = PositionDim - Axes.Skip(1).Count(a => DimOf(a) < PositionDim);
        using var perPosition = slice.transpose(0, sliceDim).reshape(slice.shape[sliceDim], -1).any(1);
        using var nonzero = perPosition.nonzero();
        return nonzero.shape[0] == 0 ? null : (int)nonzero[0, 0].item<long>();
    }

    /// <summary>TL's patch setter: a copy of <paramref name="corrupted"/> with the indexed slice taken from <paramref name="clean"/>.</summary>
    public Tensor Patch(Tensor corrupted, Tensor clean, IReadOnlyList<int> index)
    {
        ArgumentNullException.ThrowIfNull(corrupted);
        ArgumentNullException.ThrowIfNull(clean);
        var at = ActivationIndex(index, (int)corrupted.dim());
        var patched = corrupted.clone();
        patched[at] = clean[at];
        return patched;
    }
}
