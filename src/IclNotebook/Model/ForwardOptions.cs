using static TorchSharp.torch;

namespace IclNotebook.Model;

/// <summary>
/// What a forward pass returns: full logits (the default) or only those at some positions
/// (patching reads one position per prompt). The fast engine, which starts from a cached residual
/// stream, runs segments instead (<c>Patching.SegmentForward</c>).
/// </summary>
public sealed record ForwardOptions
{
    /// <summary>Unembed only these positions: an int64 tensor [batch] (one position per prompt)
    /// giving logits [batch, d_vocab], or [batch, k] (k per prompt, e.g. a teacher-forced answer's) giving
    /// [batch, k, d_vocab]. <c>ln_final</c> then sees [batch, k, d_model].
    /// Default null: logits at every position, [batch, pos, d_vocab].</summary>
    public Tensor? UnembedPositions { get; init; }

    public static ForwardOptions Full { get; } = new();
}
