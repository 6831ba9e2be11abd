using IclNotebook.Patching;
using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// What <c>icl analyze</c> patches, beside the <see cref="Studies.StudyOptions"/> every study shares;
/// each default is the original Colab's analysis.
/// </summary>
public sealed record PatchingOptions
{
    /// <summary>Patch targets or sets by TransformerLens name. Default resid_pre and attn_head_all_pos_every.</summary>
    public IReadOnlyList<string> Targets { get; init; } = ["resid_pre", "attn_head_all_pos_every"];

    /// <summary>
    /// <see cref="PatchEngineKind.Fast"/> (default, exact) or <see cref="PatchEngineKind.Reference"/> (TransformerLens's algorithm, slow).
    /// </summary>
    public PatchEngineKind Engine { get; init; } = PatchEngineKind.Fast;

    /// <summary>Also compute attribution patching (approximate) for every target. Default false.</summary>
    public bool Attribution { get; init; }
}
