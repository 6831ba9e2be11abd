namespace IclNotebook.Icl.Datasets;

/// <summary>
/// Turns a <see cref="PairDataset"/> into a task whose prompts are sampled (<see cref="DatasetSampling"/>): Function
/// Vectors' template by default (<c>Q: {input}\nA: {label}</c>, demonstrations separated by a blank line, the answer
/// <c>" {label}"</c>), answers of any length whose first token the metric reads (<see cref="IclTask.FirstTokenAnswers"/>),
/// and by default FV's shuffled labels (seeded by the sampling seed) as the corruption.
/// </summary>
public static class DatasetTask
{
    /// <summary>Function Vectors' demonstration line.</summary>
    public const string DemoTemplate = "Q: {input}\nA: {label}";

    /// <summary>Function Vectors' query line.</summary>
    public const string QueryTemplate = "Q: {input}\nA:";

    /// <summary>Function Vectors' separator between demonstrations (and before the query): a blank line.</summary>
    public const string Separator = "\n\n";

    /// <summary>The task: <paramref name="sampling"/>'s prompts drawn from <paramref name="dataset"/>, validated.</summary>
    public static IclTask Build(PairDataset dataset, string name, DatasetSampling sampling, IclCorruption? corruption = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sampling);
        var (queries, demos) = sampling.Sample(dataset, dataset.Path);
        return new IclTask(name, DemoTemplate, QueryTemplate, [], queries, corruption ?? new ShuffleCorruption(sampling.Seed))
        {
            Separator = Separator,
            QueryDemos = demos,
            LabelSet = dataset.Outputs,
            FirstTokenAnswers = true,
            Origin = new DatasetOrigin(dataset.Path, dataset.Sha256, dataset.Pairs.Count, sampling),
        }.Validate(dataset.Path);
    }

    /// <summary>The same dataset task with its prompts sampled again under <paramref name="sampling"/>.</summary>
    public static IclTask Resample(IclTask task, DatasetSampling sampling)
    {
        ArgumentNullException.ThrowIfNull(task);
        var origin = task.Origin ?? throw new IclException($"Task '{task.Name}' is hand-written: its prompts are as written, " +
            "and --shots, --prompts and --seed apply to dataset tasks only.");
        var (queries, demos) = sampling.Sample(PairDataset.Load(origin.Dataset), origin.Dataset);
        return (task with { Queries = queries, QueryDemos = demos, Origin = origin with { Sampling = sampling } }).Validate(origin.Dataset);
    }
}
