using IclNotebook.ActivationPatching;
using IclNotebook.FunctionVectors;

namespace IclNotebook.Sweeps;

/// <summary>
/// What a sweep runs on each task (<c>icl sweep</c>). Defaults: accuracy and function vectors; accuracy at 0, 1, 2, 4
/// and 8 shots (those up to the task's own shots); patching of every head's output, query, key, value and pattern over all
/// positions (position-wise targets need prompts of one layout, which sampled prompts rarely share).
/// </summary>
public sealed record SweepOptions
{
    /// <summary>The task files, in order (<see cref="SweepTasks.Resolve"/>).</summary>
    public required IReadOnlyList<string> Tasks { get; init; }

    public IReadOnlyList<SweepAnalysis> Analyses { get; init; } = [SweepAnalysis.Accuracy, SweepAnalysis.Fv];

    /// <summary>Shot counts for accuracy; null: 0, 1, 2, 4, 8 and the task's own, up to the task's own.</summary>
    public IReadOnlyList<int>? AccuracyShots { get; init; }

    public PatchingOptions Patching { get; init; } = new() { Targets = ["attn_head_all_pos_every"] };

    public FunctionVectorOptions FunctionVectors { get; init; } = new();
}
