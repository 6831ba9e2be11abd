using IclNotebook.Model;
using IclNotebook.Icl;

namespace IclNotebook.Notebooks;

/// <summary>
/// Which model, Pythia checkpoint, task and device the notebooks use, as the <c>ICL_*</c> variables
/// give them (see <see cref="Notebook"/>); blank variables count as unset.
/// </summary>
/// <param name="Model"><c>ICL_MODEL</c>, default <c>gpt2</c>.</param>
/// <param name="Pythia"><c>ICL_PYTHIA</c>, default <c>pythia-160m</c>.</param>
/// <param name="PythiaRevision"><c>ICL_PYTHIA_REVISION</c>, default <c>main</c>.</param>
/// <param name="TaskPath"><c>ICL_TASK</c>, default the repository's data/tasks/sentiment.json.</param>
/// <param name="Device"><c>ICL_DEVICE</c>, or null for the library's default (cpu).</param>
public sealed record NotebookSettings(string Model, string Pythia, string PythiaRevision, string TaskPath, string? Device)
{
    /// <summary>
    /// <c>ICL_TASKS</c>: the tasks a notebook across tasks runs, as <c>icl sweep --tasks</c> takes them (shipped dataset
    /// names, files, a folder); default three Function Vectors datasets with answers of one and of several tokens.
    /// </summary>
    public string Tasks { get; init; } = "antonym,country-capital,present-past";

    /// <summary><c>ICL_PROMPTS</c>: prompts sampled per dataset task, default 25 (Function Vectors' indirect-effect count).</summary>
    public int Prompts { get; init; } = 25;

    /// <summary><c>ICL_DTYPE</c> (<c>float32</c>, <c>bfloat16</c>, <c>float16</c>), default float32.</summary>
    public ModelDType DType { get; init; } = ModelDType.Float32;

    /// <summary>The settings <paramref name="variable"/> (an environment lookup) gives.</summary>
    public static NotebookSettings FromEnvironment(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? Get(string name) => variable(name) is { } v && v.Trim() is { Length: > 0 } trimmed ? trimmed : null;
        return new NotebookSettings(
            Get(Notebook.ModelVariable) ?? "gpt2",
            Get(Notebook.PythiaVariable) ?? "pythia-160m",
            Get(Notebook.PythiaRevisionVariable) ?? "main",
            Get(Notebook.TaskVariable) is { } task ? TaskFiles.Resolve(task) : TaskFiles.Default("sentiment"),
            Get(Notebook.DeviceVariable))
        {
            DType = Get(Notebook.DTypeVariable) is { } dtype ? OptionNames.Parse<ModelDType>(dtype) : ModelDType.Float32,
            Tasks = Get(Notebook.TasksVariable) ?? "antonym,country-capital,present-past",
            Prompts = Get(Notebook.PromptsVariable) is { } n
                ? int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int p) && p > 0
                    ? p : throw new IclException($"{Notebook.PromptsVariable}={n}: give a positive whole number of prompts.")
                : 25,
        };
    }
}
