using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;

namespace IclNotebook.Analysis;

/// <summary>Settings of one analysis (what `icl analyze` runs); each default reproduces the original Colab's analysis with its two quirks corrected (see Read and Replay).</summary>
public sealed record AnalysisOptions
{
    /// <summary>Short model name, Hugging Face repository id or folder. Default "gpt2".</summary>
    public string Model { get; init; } = "gpt2";

    /// <summary>Hub settings: the revision (branch, tag or commit, e.g. Pythia's step3000), token, cache. Default: the HF_* environment variables, revision main.</summary>
    public Loading.Hub.HubOptions Hub { get; init; } = Loading.Hub.HubOptions.FromEnvironment();

    /// <summary>Task file. Required (the CLI defaults it to data/tasks/sentiment.json).</summary>
    public required string TaskPath { get; init; }

    /// <summary>Patch targets or sets by TL name. Default resid_pre and attn_head_all_pos_every.</summary>
    public IReadOnlyList<string> Targets { get; init; } = ["resid_pre", "attn_head_all_pos_every"];

    /// <summary>"fast" (default) or "reference".</summary>
    public string Engine { get; init; } = "fast";

    /// <summary>Also compute attribution patching (approximate) for every target. Default false.</summary>
    public bool Attribution { get; init; }

    /// <summary>Where the metric reads. Default <see cref="MetricRead.LastToken"/>; the original Colab read <see cref="MetricRead.LastColumn"/>.</summary>
    public MetricRead Read { get; init; } = MetricRead.LastToken;

    /// <summary>How the task's corruption is replayed. Default <see cref="CorruptionReplay.Simultaneous"/>; the original Colab's loop is <see cref="CorruptionReplay.Sequential"/> (label-map corruptions only).</summary>
    public CorruptionReplay Replay { get; init; } = CorruptionReplay.Simultaneous;

    /// <summary>"cpu" (default) or "cuda" (needs TorchSharp's CUDA package and a GPU).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Weight processing. Default: TransformerLens's defaults.</summary>
    public WeightProcessing Processing { get; init; } = WeightProcessing.Default;
}
