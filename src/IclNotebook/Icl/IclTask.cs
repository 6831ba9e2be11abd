using IclNotebook.Tokenization;

namespace IclNotebook.Icl;

/// <summary>
/// An in-context-learning task: demonstrations, queries, the templates that format them, and how
/// the demo labels are corrupted. Loaded from JSON (camelCase) by <see cref="Load"/> or
/// <see cref="Parse"/>, which validate it; <see cref="BuildPrompts"/> makes the clean/corrupted
/// prompt pairs. The prompt for query q is
/// <c>join(Separator, demo lines) + Separator + QueryTemplate(q)</c>, and its expected answer is
/// <c>AnswerTemplate(q.Label)</c>, which must be a single token, except in a dataset task
/// (<see cref="FirstTokenAnswers"/>). A hand-written task's queries share its <see cref="Demos"/>; a dataset task
/// (<see cref="Datasets.DatasetTask"/>) gives each query its own sampled demonstrations (<see cref="QueryDemos"/>).
/// </summary>
/// <param name="Name">Task name (required, used in messages).</param>
/// <param name="DemoTemplate">Format of a demo line; must use <c>{input}</c> and <c>{label}</c>,
/// e.g. <c>Review: {input} Sentiment: {label}</c>.</param>
/// <param name="QueryTemplate">Format of the query line; must use <c>{input}</c> and must not use
/// <c>{label}</c>, e.g. <c>Review: {input} Sentiment:</c>.</param>
/// <param name="Demos">The demonstrations, in prompt order (at least one).</param>
/// <param name="Queries">The queries; each label is that query's expected answer (at least one).</param>
/// <param name="Corruption">How demo labels are corrupted (required).</param>
public sealed record IclTask(
    string Name,
    string DemoTemplate,
    string QueryTemplate,
    IReadOnlyList<IclExample> Demos,
    IReadOnlyList<IclExample> Queries,
    IclCorruption Corruption)
{
    /// <summary>Format of the expected answer; must use <c>{label}</c> only. Default <c>" {label}"</c>
    /// (GPT-2 labels need the leading space to be one token).</summary>
    public string AnswerTemplate { get; init; } = " " + IclTemplate.Label;

    /// <summary>Text between demo lines and before the query. Default <c>"\n"</c>.</summary>
    public string Separator { get; init; } = "\n";

    /// <summary>
    /// Each query's own demonstrations (one list per query, in query order), or null when every query shares
    /// <see cref="Demos"/> (which is then empty). Default null.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<IclExample>>? QueryDemos { get; init; }

    /// <summary>
    /// The labels a <see cref="RandomLabelsCorruption"/> draws from; null means the labels the task uses (demos and
    /// queries). A dataset task sets its dataset's distinct outputs.
    /// </summary>
    public IReadOnlyList<string>? LabelSet { get; init; }

    /// <summary>
    /// Answers may be several tokens long, and the metric reads the first (Function Vectors' convention); false means each
    /// answer must be one token. Default false; true for dataset tasks.
    /// </summary>
    public bool FirstTokenAnswers { get; init; }

    /// <summary>Where a dataset task's prompts were sampled from, for the results; null for a hand-written task.</summary>
    public Datasets.DatasetOrigin? Origin { get; init; }

    /// <summary>The demonstrations query <paramref name="query"/> is shown.</summary>
    public IReadOnlyList<IclExample> DemosOf(int query) => QueryDemos?[query] ?? Demos;

    /// <summary>
    /// The corrupted labels of query <paramref name="query"/>'s demos (<see cref="CorruptionReplay.Simultaneous"/>): one
    /// draw for a hand-written task's shared demos; each prompt its own for a dataset task, keeping every label's token
    /// count where <paramref name="tokenCount"/> gives it.
    /// </summary>
    public IReadOnlyList<string> CorruptedLabels(int query, Func<string, int>? tokenCount = null)
    {
        var labels = DemosOf(query).Select(d => d.Label).ToArray();
        var labelSet = LabelSet ?? Labels();
        var draw = QueryDemos is null ? new CorruptionDraw(0, labelSet, null) : CorruptionDraw.ForPrompt(query, labelSet, tokenCount ?? (_ => 0));
        return Corruption.Apply(labels, draw);
    }

    /// <summary>Every label the task uses, demos' and queries', in first-seen order.</summary>
    public IReadOnlyList<string> Labels() =>
        (QueryDemos?.SelectMany(d => d) ?? Demos).Concat(Queries).Select(e => e.Label).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Reads and validates a task file. Throws <see cref="IclException"/> naming the file, the
    /// field and the fix (invalid JSON: with 1-based line and column). Comments and trailing
    /// commas are allowed; unknown fields are errors (they are usually typos).
    /// </summary>
    public static IclTask Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        path = TaskFiles.Resolve(path);
        if (!File.Exists(path))
            throw new IclException($"Task file {Path.GetFullPath(path)} does not exist ('{path}' as given); " +
                "pass the path of a task file (--task FILE; tasks ship in data/tasks/).");
        string json;
        try { json = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IclException($"Cannot read the task file '{path}' ({e.Message}); check the path (tasks ship in data/tasks/).", e);
        }
        return Parse(json, path);
    }

    /// <summary>Parses and validates a task from JSON text; <paramref name="sourceName"/> names it in errors.</summary>
    public static IclTask Parse(string json, string sourceName) => IclTaskJson.Parse(json, sourceName).Validate(sourceName);

    /// <summary>
    /// Checks the task (templates, non-empty fields, corruption fits the demos and changes at
    /// least one label) and returns it; throws <see cref="IclException"/> otherwise. Tasks from
    /// <see cref="Load"/>/<see cref="Parse"/> are already validated.
    /// </summary>
    public IclTask Validate(string? sourceName = null)
    {
        IclTaskValidator.Validate(this, sourceName ?? $"task '{Name}'");
        return this;
    }

    /// <summary>One demo line, e.g. <c>Review: Great food. Sentiment: positive</c>.</summary>
    public string FormatDemo(IclExample demo) => IclTemplate.Format(DemoTemplate, demo.Input, demo.Label);

    /// <summary>One query line (no label), e.g. <c>Review: Great food. Sentiment:</c>.</summary>
    public string FormatQuery(IclExample query) => IclTemplate.Format(QueryTemplate, query.Input, "");

    /// <summary>
    /// Query <paramref name="query"/>'s clean prompt with only its first <paramref name="shots"/> demonstrations: the query
    /// line alone for 0 (the zero-shot baseline), the full prompt for all of them.
    /// </summary>
    public string PromptText(int query, int shots)
    {
        var demos = DemosOf(query);
        if (shots < 0 || shots > demos.Count)
            throw new IclException($"Task '{Name}': query {query} has {demos.Count} demonstrations, so {shots} shots cannot be shown; " +
                $"ask for 0 to {demos.Count} (a dataset task samples as many as its largest shot count asks).");
        string line = FormatQuery(Queries[query]);
        return shots == 0 ? line : string.Join(Separator, demos.Take(shots).Select(FormatDemo)) + Separator + line;
    }

    /// <summary>The expected answer string for a label, e.g. <c>" positive"</c>.</summary>
    public string FormatAnswer(string label) => IclTemplate.Format(AnswerTemplate, "", label);

    /// <summary>Clean and corrupted prompts, tokens and answer ids; see <see cref="IclPromptBuilder.Build"/>.</summary>
    public IclPromptSet BuildPrompts(ModelTokenizer tokenizer, CorruptionReplay replay = CorruptionReplay.Simultaneous) =>
        IclPromptBuilder.Build(this, tokenizer, replay);
}
