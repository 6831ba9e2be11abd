using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// Partial forward passes, for patching engines that start from a cached residual stream, stop
/// early, or read only some positions. The default runs tokens to full logits.
/// </summary>
public sealed record ForwardOptions
{
    /// <summary>First block to run. Default 0 (embed tokens). Above 0, <see cref="StartResidual"/> is required.</summary>
    public int StartLayer { get; init; }

    /// <summary>The residual stream entering <see cref="StartLayer"/> ([batch, pos, d_model]);
    /// it still passes that block's <c>hook_resid_pre</c>. Default null (embed the tokens).</summary>
    public Tensor? StartResidual { get; init; }

    /// <summary>Stop before this block and return the residual stream entering it
    /// ([batch, pos, d_model]); <c>NLayers</c> returns the stream before <c>ln_final</c>.
    /// Default null: run to logits.</summary>
    public int? StopLayer { get; init; }

    /// <summary>Unembed only these positions: an int64 tensor [batch] (one position per prompt)
    /// giving logits [batch, d_vocab]. <c>ln_final</c> then sees [batch, 1, d_model].
    /// Default null: logits at every position, [batch, pos, d_vocab].</summary>
    public Tensor? UnembedPositions { get; init; }

    public static ForwardOptions Full { get; } = new();
}
