namespace IclNotebook.Loading;

/// <summary>
/// Models this repository ships under <c>data/models/</c>, usable by name wherever a model is asked
/// for (<c>--model toy-icl-2l</c>, <c>ICL_MODEL=toy-icl-2l</c>): the toy in-context model trained
/// by <c>icl train-toy</c>, whose mechanism is known, and the task-vector toy trained by <c>icl train-task-toy</c>.
/// No download: the folders are in the checkout.
/// </summary>
public static class ShippedModels
{
    /// <summary>The toy 2-layer in-context model (data/models/toy-icl-2l).</summary>
    public const string Toy = "toy-icl-2l";

    /// <summary>The task-vector toy (data/models/toy-tasks-2l): fixed mappings told apart in context, the task carried at layer 1.</summary>
    public const string TaskToy = "toy-tasks-2l";

    /// <summary>What a download that cannot happen adds to its error: how to try the kit with no network at all.</summary>
    public const string NoNetworkHint =
        "With no network at all, try the toy model shipped with the kit: --model toy-icl-2l --task data/tasks/associative-recall.json "
        + "(notebooks: ICL_MODEL=toy-icl-2l ICL_TASK=data/tasks/associative-recall.json).";

    /// <summary>Every shipped model's name.</summary>
    public static IReadOnlyList<string> Names { get; } = [Toy, TaskToy];

    /// <summary>Whether <paramref name="name"/> is a shipped model's name.</summary>
    public static bool IsShipped(string name) => Names.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The folder of shipped model <paramref name="name"/>; an <see cref="IclException"/> saying where it was looked for when
    /// the checkout is not found.
    /// </summary>
    public static string Folder(string name)
    {
        if (!IsShipped(name)) throw new IclException($"'{name}' is not a shipped model; shipped: {string.Join(", ", Names)}.");
        var relative = Path.Combine("models", name.ToLowerInvariant());
        return RepositoryData.Find(relative)
            ?? throw new IclException($"The shipped model {name} lives in {Path.Combine("data", relative)} of the repository and of the " +
                $"IclNotebook package, and no such folder is above {Environment.CurrentDirectory}, the program's folder or the library's. " +
                "Run from inside the checkout, reference the IclNotebook package (its build copies data/ beside the program), or give the folder's path.");
    }
}
