using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Teaching;

/// <summary>
/// What the checks compare with: the shipped toy model (<see cref="ShippedModels.Toy"/>), its associative-recall task, the
/// task's prompts and the patching setup the library builds from them. Loaded once, on the first check (offline, a second).
/// </summary>
public sealed class ExerciseToy : IDisposable
{
    private static readonly Lazy<ExerciseToy> Shared = new(() => new ExerciseToy(), LazyThreadSafetyMode.ExecutionAndPublication);

    private ExerciseToy()
    {
        Model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.Toy));
        Task = IclTask.Load(TaskFiles.Default("associative-recall"));
        Prompts = Task.BuildPrompts(Model.Tokenizer);
        Setup = PatchingSetup.Create(Model, Prompts);
    }

    /// <summary>The one instance the checks and the exercise notebook share.</summary>
    public static ExerciseToy Instance => Shared.Value;

    public HookedTransformer Model { get; }

    /// <summary>The associative-recall task (data/tasks/associative-recall.json): a label map red → blue → green → black → red.</summary>
    public IclTask Task { get; }

    /// <summary>The library's prompts for <see cref="Task"/>: what the prompt exercise's answer must equal.</summary>
    public IclPromptSet Prompts { get; }

    /// <summary>The library's setup (baselines, metric at each prompt's last real token).</summary>
    public PatchingSetup Setup { get; }

    public void Dispose()
    {
        Setup.Dispose();
        Model.Dispose();
    }
}
