using IclNotebook.Icl;
using IclNotebook.Loading.Hub;
using IclNotebook.Metrics;
using IclNotebook.Model;

namespace IclNotebook.Studies;

/// <summary>
/// What every study runs on (<c>icl analyze</c>, <c>lens</c>, <c>heads</c>, <c>fv</c>, <c>anchors</c>, and
/// the same calls from a notebook): a model, a task where the study needs one, and how the task's
/// prompts are built and read. Each default is stated; together they reproduce the original Colab's
/// analysis with its two quirks corrected (see <see cref="ColabExact"/>).
/// </summary>
public sealed record StudyOptions
{
    /// <summary>Short model name, Hugging Face repository id or folder. Default "gpt2".</summary>
    public string Model { get; init; } = "gpt2";

    /// <summary>
    /// Hub settings: the revision (branch, tag or commit, e.g. Pythia's step3000), token, cache. Default: the HF_*
    /// environment variables, revision main.
    /// </summary>
    public HubOptions Hub { get; init; } = HubOptions.FromEnvironment();

    /// <summary>
    /// Task file; null for studies that need none (the head detector). Default null. A relative <c>data/...</c>
    /// path is the repository's file wherever the study runs (<see cref="TaskFiles.Resolve"/>), so what is read,
    /// hashed and recorded is the same file.
    /// </summary>
    public string? TaskPath { get; init => field = value is null ? null : TaskFiles.Resolve(value); }

    /// <summary>
    /// For a dataset task, the demonstrations per prompt, the number of prompts and the sampling seed, each replacing the
    /// task file's (or the defaults: 10, 25, 0); null keeps it. A hand-written task refuses them. Default null.
    /// </summary>
    public int? Shots { get; init; }

    /// <inheritdoc cref="Shots"/>
    public int? Prompts { get; init; }

    /// <inheritdoc cref="Shots"/>
    public long? Seed { get; init; }

    /// <summary><paramref name="task"/> with <see cref="Shots"/>, <see cref="Prompts"/> and <see cref="Seed"/> applied.</summary>
    public IclTask Sampled(IclTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (Shots is null && Prompts is null && Seed is null) return task;
        var given = task.Origin?.Sampling ?? throw new IclException($"Task '{task.Name}' is hand-written: its prompts are as written; " +
            "--shots, --prompts and --seed sample a dataset task (a pairs file, or a task file with \"dataset\").");
        var sampling = given with { Shots = Shots ?? given.Shots, Prompts = Prompts ?? given.Prompts, Seed = Seed ?? given.Seed };
        return sampling == given ? task : Icl.Datasets.DatasetTask.Resample(task, sampling);
    }

    /// <summary>
    /// The original Colab's two quirks where not set otherwise: the metric reads the padded batch's
    /// last column, and a label-map corruption is replayed sequentially. Default false.
    /// </summary>
    public bool ColabExact { get; init; }

    /// <summary>
    /// Where the metric reads; null means <see cref="MetricRead.LastToken"/>, or the Colab's
    /// <see cref="MetricRead.LastColumn"/> with <see cref="ColabExact"/>.
    /// </summary>
    public MetricRead? Read { get; init; }

    /// <summary>
    /// How the task's corruption is replayed; null means <see cref="CorruptionReplay.Simultaneous"/>, or with
    /// <see cref="ColabExact"/> the Colab's <see cref="CorruptionReplay.Sequential"/> loop for a label-map
    /// corruption (other kinds keep their labels as written).
    /// </summary>
    public CorruptionReplay? Replay { get; init; }

    /// <summary>
    /// Where the model runs; null is the CPU. <see cref="Loading.ModelSource.ParseDevice"/> reads <c>"cpu"</c> or <c>"cuda"</c>
    /// (CUDA needs TorchSharp's CUDA package and a GPU).
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }

    /// <summary>The weights' dtype (TL's <c>dtype</c>). Default float32; <see cref="Model.Precision"/> says what stays float32.</summary>
    public ModelDType DType { get; init; } = ModelDType.Float32;

    /// <summary>Weight processing. Default: TransformerLens's defaults.</summary>
    public WeightProcessing Processing { get; init; } = WeightProcessing.Default;

    /// <summary>Where the metric reads, the quirks applied.</summary>
    public MetricRead EffectiveRead => Read ?? (ColabExact ? MetricRead.LastColumn : MetricRead.LastToken);

    /// <summary>How <paramref name="task"/>'s corruption is replayed, the quirks applied.</summary>
    public CorruptionReplay ReplayFor(IclTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Replay ?? (ColabExact && task.Corruption is LabelMapCorruption ? CorruptionReplay.Sequential : CorruptionReplay.Simultaneous);
    }

    /// <summary>
    /// What a user of <see cref="ColabExact"/> should know about a task whose corruption is of kind
    /// <paramref name="corruptionKind"/>: the sequential replay exists for label maps only. Null otherwise.
    /// </summary>
    public string? ColabNote(string corruptionKind)
    {
        if (!ColabExact || Replay is not null || corruptionKind == LabelMapCorruption.KindName) return null;
        return $"--colab-exact replays a corruption sequentially only for kind '{LabelMapCorruption.KindName}'; this task's corruption is "
            + $"'{corruptionKind}', so its labels are used as written (metric read: {OptionNames.Name(EffectiveRead)}).";
    }
}
