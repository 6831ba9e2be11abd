using static IclNotebook.Patching.ActivationLayout;
using static IclNotebook.Patching.PatchAxis;

namespace IclNotebook.Patching;

/// <summary>
/// Every TransformerLens patching function as a row of data, under TL's names (without the
/// <c>get_act_patch_</c> prefix), plus the stacked sets. Axis orders match TL's outputs.
/// </summary>
public static class PatchTargets
{
    public static readonly PatchTarget ResidPre = new("resid_pre", "resid_pre", PosVector, [Layer, Pos], "Residual stream (pre)");
    public static readonly PatchTarget ResidMid = new("resid_mid", "resid_mid", PosVector, [Layer, Pos], "Residual stream (mid)");
    public static readonly PatchTarget AttnOut = new("attn_out", "attn_out", PosVector, [Layer, Pos], "Attention output");
    public static readonly PatchTarget MlpOut = new("mlp_out", "mlp_out", PosVector, [Layer, Pos], "MLP output");

    public static readonly PatchTarget HeadOutAllPos = new("attn_head_out_all_pos", "z", HeadVector, [Layer, Head], "Output");
    public static readonly PatchTarget HeadQAllPos = new("attn_head_q_all_pos", "q", HeadVector, [Layer, Head], "Query");
    public static readonly PatchTarget HeadKAllPos = new("attn_head_k_all_pos", "k", HeadVector, [Layer, Head], "Key");
    public static readonly PatchTarget HeadVAllPos = new("attn_head_v_all_pos", "v", HeadVector, [Layer, Head], "Value");
    public static readonly PatchTarget HeadPatternAllPos = new("attn_head_pattern_all_pos", "pattern", Pattern, [Layer, Head], "Pattern");

    public static readonly PatchTarget HeadOutByPos = new("attn_head_out_by_pos", "z", HeadVector, [Layer, Pos, Head], "Output");
    public static readonly PatchTarget HeadQByPos = new("attn_head_q_by_pos", "q", HeadVector, [Layer, Pos, Head], "Query");
    public static readonly PatchTarget HeadKByPos = new("attn_head_k_by_pos", "k", HeadVector, [Layer, Pos, Head], "Key");
    public static readonly PatchTarget HeadVByPos = new("attn_head_v_by_pos", "v", HeadVector, [Layer, Pos, Head], "Value");
    public static readonly PatchTarget HeadPatternByPos = new("attn_head_pattern_by_pos", "pattern", Pattern, [Layer, Head, DestPos], "Pattern");
    public static readonly PatchTarget HeadPatternDestSrcPos =
        new("attn_head_pattern_dest_src_pos", "pattern", Pattern, [Layer, Head, DestPos, SrcPos], "Pattern");

    /// <summary>Pattern by destination with TL's <c>by_pos_every</c> axis order [layer, pos, head].</summary>
    private static readonly PatchTarget PatternByPosAsPosHead = HeadPatternByPos with { Axes = [Layer, DestPos, Head] };

    public static readonly PatchTargetSet BlockEvery = new("block_every", [ResidPre, AttnOut, MlpOut]);
    public static readonly PatchTargetSet AttnHeadAllPosEvery =
        new("attn_head_all_pos_every", [HeadOutAllPos, HeadQAllPos, HeadKAllPos, HeadVAllPos, HeadPatternAllPos]);
    public static readonly PatchTargetSet AttnHeadByPosEvery =
        new("attn_head_by_pos_every", [HeadOutByPos, HeadQByPos, HeadKByPos, HeadVByPos, PatternByPosAsPosHead]);

    /// <summary>Every single target by name.</summary>
    public static IReadOnlyList<PatchTarget> All { get; } =
        [ResidPre, ResidMid, AttnOut, MlpOut, HeadOutAllPos, HeadQAllPos, HeadKAllPos, HeadVAllPos, HeadPatternAllPos,
         HeadOutByPos, HeadQByPos, HeadKByPos, HeadVByPos, HeadPatternByPos, HeadPatternDestSrcPos];

    public static IReadOnlyList<PatchTargetSet> Sets { get; } = [BlockEvery, AttnHeadAllPosEvery, AttnHeadByPosEvery];

    /// <summary>A target or set by name; unknown names list the valid ones.</summary>
    public static PatchTargetSet Find(string name)
    {
        var single = All.FirstOrDefault(t => t.Name == name);
        if (single is not null) return PatchTargetSet.Of(single);
        return Sets.FirstOrDefault(s => s.Name == name)
            ?? throw new IclException($"Unknown patch target '{name}'. " +
                $"Targets: {string.Join(", ", All.Select(t => t.Name).Concat(Sets.Select(s => s.Name)))}.");
    }
}

/// <summary>Targets run together and stacked along a leading patch-type axis (TL's <c>*_every</c>).</summary>
public sealed record PatchTargetSet(string Name, IReadOnlyList<PatchTarget> Parts)
{
    /// <summary>A single target as a set of one.</summary>
    public static PatchTargetSet Of(PatchTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new PatchTargetSet(target.Name, [target]);
    }
}
