using System.Globalization;
using IclNotebook.Progress;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Loading.Hub;
using IclNotebook.Model;

namespace IclNotebook.Notebooks;

/// <summary>
/// What the walkthrough notebooks (and their file-based twins) need from their surroundings:
/// which model and task to use, and loading the model with readable progress.
/// <list type="bullet">
/// <item><c>ICL_MODEL</c>: a known model name (<c>gpt2</c>, <c>distilgpt2</c>, ...), a Hugging Face
/// repository id, or a folder with config.json + model.safetensors. Default <c>gpt2</c>.</item>
/// <item><c>ICL_PYTHIA</c>: the Pythia model of the notebook that contrasts it with GPT-2 (a name, a
/// repository id or a folder); default <c>pythia-160m</c>. <c>ICL_PYTHIA_REVISION</c> picks one of
/// its training checkpoints (<c>step3000</c>, ...); default <c>main</c>, the trained model.</item>
/// <item><c>ICL_TASK</c>: a task file or a shipped task's name; default data/tasks/sentiment.json (shipped).</item>
/// <item><c>ICL_DEVICE</c>: <c>cpu</c> (default) or <c>cuda</c> (needs TorchSharp's CUDA package in the build).</item>
/// </list>
/// </summary>
public static class Notebook
{
    /// <summary>Environment variable that selects the model.</summary>
    public const string ModelVariable = "ICL_MODEL";

    /// <summary>Environment variable that selects the Pythia model of the GPT-2-vs-Pythia notebook.</summary>
    public const string PythiaVariable = "ICL_PYTHIA";

    /// <summary>Environment variable that selects the Pythia training checkpoint (a hub revision such as <c>step3000</c>).</summary>
    public const string PythiaRevisionVariable = "ICL_PYTHIA_REVISION";

    /// <summary>Environment variable that selects the task file.</summary>
    public const string TaskVariable = "ICL_TASK";

    /// <summary>Environment variable that selects the device.</summary>
    public const string DeviceVariable = "ICL_DEVICE";

    /// <summary>Environment variable that selects the model's dtype (<c>float32</c> by default, <c>bfloat16</c>).</summary>
    public const string DTypeVariable = "ICL_DTYPE";

    /// <summary>Environment variable that selects the tasks of the notebook across tasks (as <c>icl sweep --tasks</c>).</summary>
    public const string TasksVariable = "ICL_TASKS";

    /// <summary>Environment variable that sets how many prompts are sampled per dataset task.</summary>
    public const string PromptsVariable = "ICL_PROMPTS";

    /// <summary>The settings the variables give now.</summary>
    public static NotebookSettings Settings => NotebookSettings.FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The model the notebooks use: <c>ICL_MODEL</c>, else <c>gpt2</c>.</summary>
    public static string ModelName => Settings.Model;

    /// <summary>The Pythia model of the GPT-2-vs-Pythia notebook: <c>ICL_PYTHIA</c>, else <c>pythia-160m</c>.</summary>
    public static string PythiaName => Settings.Pythia;

    /// <summary>The Pythia checkpoint: <c>ICL_PYTHIA_REVISION</c>, else <c>main</c> (the end of training).</summary>
    public static string PythiaRevision => Settings.PythiaRevision;

    /// <summary>The task file the notebooks use: <c>ICL_TASK</c>, else the repository's data/tasks/sentiment.json.</summary>
    public static string TaskPath => Settings.TaskPath;

    /// <summary>
    /// Loads <paramref name="nameOrPath"/> (default <see cref="ModelName"/>), downloading it on first
    /// use with a progress line every 10% (<see cref="ProgressLines"/>), and prints one line saying what was loaded.
    /// </summary>
    /// <param name="nameOrPath">A short name, repository id or folder; default <see cref="ModelName"/>.</param>
    /// <param name="processing">TransformerLens's processing (default) or raw weights.</param>
    /// <param name="revision">The hub revision (branch, tag or commit, e.g. Pythia's <c>step3000</c>); default <c>main</c>.</param>
    /// <param name="settings">Model, device and dtype when not given; default <see cref="Settings"/>.</param>
    /// <param name="dtype">The weights' dtype; default the settings' (<c>ICL_DTYPE</c>, else float32).</param>
    /// <param name="output">Where the line goes; default standard output (the notebook's cell output).</param>
    public static async Task<HookedTransformer> LoadModelAsync(string? nameOrPath = null, WeightProcessing processing = WeightProcessing.Default,
        string revision = "main", NotebookSettings? settings = null, TextWriter? output = null, ModelDType? dtype = null)
    {
        settings ??= Settings;
        var name = nameOrPath ?? settings.Model;
        var device = settings.Device is { } d ? ModelSource.ParseDevice(d) : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hub = HubOptions.FromEnvironment() with { Revision = revision };
        var (model, _, commit) = await ModelSource.LoadWithSourceAsync(name, processing, device, hub, Progress(),
            dtype: dtype ?? settings.DType).ConfigureAwait(false);
        var at = revision == "main" || Directory.Exists(name) ? commit : $"revision {revision}, {commit}";
        var c = model.Config;
        string weights = (processing == WeightProcessing.Default ? "TransformerLens weight processing" : "raw weights") +
            (c.DType.IsHalf() ? $" in {OptionNames.Name(c.DType)}" : "");
        (output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Loaded {c.Name}: {c.NLayers} layers x {c.NHeads} heads, d_model {c.DModel}, vocabulary {c.DVocab}, " +
            $"{weights}, on {model.ModelDevice.type.ToString().ToLowerInvariant()} ({at}; {clock.Elapsed.TotalSeconds:F1} s)."));
        return model;
    }

    /// <summary>
    /// Loads <see cref="TaskPath"/> (or <paramref name="path"/>: a file, or a shipped task's name such as
    /// <c>associative-recall</c>, <see cref="TaskFiles.Resolve"/>) and says which file it read (on <paramref name="output"/>,
    /// default standard output).
    /// </summary>
    public static IclTask LoadTask(string? path = null, TextWriter? output = null)
    {
        var file = path is null ? TaskPath : TaskFiles.Resolve(path);
        var task = IclTask.Load(file);
        (output ?? Console.Out).WriteLine($"Task \"{task.Name}\" from {Path.GetFullPath(file)}: " +
                          (task.Origin is { } o
                              ? $"{task.Queries.Count} prompts of {o.Sampling.Shots} demonstrations sampled (seed {o.Sampling.Seed}) from " +
                                $"{o.Pairs} pairs in {Path.GetFileName(o.Dataset)}."
                              : $"{task.Demos.Count} demonstrations, {task.Queries.Count} queries."));
        return task;
    }

    /// <summary>
    /// The tasks <see cref="NotebookSettings.Tasks"/> names (or <paramref name="spec"/>), each dataset task sampled with
    /// <paramref name="shots"/> demonstrations and <see cref="NotebookSettings.Prompts"/> prompts (seed 0); says what it read.
    /// </summary>
    public static IReadOnlyList<IclTask> LoadTasks(string? spec = null, int shots = 10, TextWriter? output = null)
    {
        var settings = Settings;
        var tasks = Sweeps.SweepTasks.Resolve(spec ?? settings.Tasks).Select(file =>
        {
            var task = IclTask.Load(file);
            return task.Origin is { } o
                ? Icl.Datasets.DatasetTask.Resample(task, o.Sampling with { Shots = shots, Prompts = settings.Prompts })
                : task;
        }).ToList();
        foreach (var task in tasks)
            (output ?? Console.Out).WriteLine($"Task \"{task.Name}\": " + (task.Origin is { } o
                ? $"{task.Queries.Count} prompts of {o.Sampling.Shots} demonstrations sampled (seed {o.Sampling.Seed}) from {o.Pairs} pairs."
                : $"{task.Demos.Count} demonstrations, {task.Queries.Count} queries (hand-written)."));
        return tasks;
    }

    /// <summary>
    /// Progress lines for a patching run (<c>engine.Run(setup, target, Notebook.Progress())</c>) or a download: one per 10%
    /// with time left.
    /// </summary>
    public static IProgress<WorkProgress> Progress() => new ProgressLines();
}
