using IclNotebook.Tokenization;

namespace IclNotebook.Icl;

/// <summary>
/// An in-context-learning task: demonstrations, queries, the templates that format them, and how
/// the demo labels are corrupted. Loaded from JSON (camelCase) by <see cref="Load"/> or
/// <see cref="Parse"/>, which validate it; <see cref="BuildPrompts"/> makes the clean/corrupted
/// prompt pairs. The prompt for query q is
/// <c>join(Separator, demo lines) + Separator + QueryTemplate(q)</c>, and its expected answer is
/// <c>AnswerTemplate(q.Label)</c>, which must be a single GPT-2 token.
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

    /// <summary>The expected answer string for a label, e.g. <c>" positive"</c>.</summary>
    public string FormatAnswer(string label) => IclTemplate.Format(AnswerTemplate, "", label);

    /// <summary>Clean and corrupted prompts, tokens and answer ids; see <see cref="IclPromptBuilder.Build"/>.</summary>
    public IclPromptSet BuildPrompts(ModelTokenizer tokenizer, CorruptionReplay replay = CorruptionReplay.Simultaneous) =>
        IclPromptBuilder.Build(this, tokenizer, replay);
}
