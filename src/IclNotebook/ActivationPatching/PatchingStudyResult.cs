using IclNotebook.Icl;
using IclNotebook.Patching;
using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>Everything <see cref="PatchingStudy"/> produced, in managed form (no tensors), with the options it ran with.</summary>
public sealed record PatchingStudyResult(
    StudyOptions Study,
    PatchingOptions Patching,
    string ModelName,
    string ModelRevision,
    IclPromptSet Prompts,
    IReadOnlyList<int> ReadPositions,
    IReadOnlyList<double> CleanPerPrompt,
    IReadOnlyList<double> CorruptedPerPrompt,
    IReadOnlyList<PatchResult> Results,
    IReadOnlyList<PatchResult> Attribution,
    double Seconds)
{
    public double CleanBaseline => CleanPerPrompt.Average();
    public double CorruptedBaseline => CorruptedPerPrompt.Average();

    /// <summary>Set when the analysis was merged from shards (then <see cref="Seconds"/> is the longest shard's wall time).</summary>
    public ShardTimings? Shards { get; init; }
}
