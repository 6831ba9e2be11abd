using IclNotebook.Icl;
using IclNotebook.Model;

namespace IclNotebook.Analysis;

/// <summary>
/// What the analyses after the heatmap (icl lens, heads, fv, anchors) run on: a model and, where
/// the analysis needs one, a task. The defaults are <c>icl analyze</c>'s.
/// </summary>
public sealed record StudyOptions
{
    /// <summary>Short model name, Hugging Face repository id or folder. Default "gpt2".</summary>
    public string Model { get; init; } = "gpt2";

    /// <summary>Hub settings (revision, token, cache). Default: the HF_* environment variables, revision main.</summary>
    public Loading.Hub.HubOptions Hub { get; init; } = Loading.Hub.HubOptions.FromEnvironment();

    /// <summary>Task file; null for analyses that need none (the head detector).</summary>
    public string? TaskPath { get; init; }

    /// <summary>How the task's corruption is replayed. Default simultaneous.</summary>
    public CorruptionReplay Replay { get; init; } = CorruptionReplay.Simultaneous;

    /// <summary>"cpu" (default) or "cuda".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Weight processing. Default: TransformerLens's defaults.</summary>
    public WeightProcessing Processing { get; init; } = WeightProcessing.Default;
}
