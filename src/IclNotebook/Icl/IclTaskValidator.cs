namespace IclNotebook.Icl;

/// <summary>
/// The value rules of a task (for tasks from JSON and tasks built in code alike). Every message
/// reads <c>{source}: {field}: {problem}; {fix}.</c>
/// </summary>
internal static class IclTaskValidator
{
    public static IclException Error(string source, string field, string problem) => new($"{source}: {field}: {problem}.");

    public static void Validate(IclTask task, string source)
    {
        ArgumentNullException.ThrowIfNull(task);
        NotBlank(source, "name", task.Name, "give the task a name, e.g. \"sentiment\"");
        Template(source, "demoTemplate", task.DemoTemplate, required: [IclTemplate.Input, IclTemplate.Label], forbidden: null,
            "e.g. \"Review: {input} Sentiment: {label}\"");
        Template(source, "queryTemplate", task.QueryTemplate, required: [IclTemplate.Input], forbidden: IclTemplate.Label,
            "e.g. \"Review: {input} Sentiment:\" (the query's label is the answer the model must predict)");
        Template(source, "answerTemplate", task.AnswerTemplate, required: [IclTemplate.Label], forbidden: IclTemplate.Input,
            "e.g. \" {label}\" (it is the one token the model should predict)");
        if (string.IsNullOrEmpty(task.Separator))
            throw Error(source, "separator", "is empty; use e.g. \"\\n\" (it goes between demo lines and before the query)");
        Examples(source, "queries", task.Queries);
        if (task.QueryDemos is null) Examples(source, "demos", task.Demos);
        else
        {
            if (task.Demos.Count > 0)
                throw Error(source, "demos", "must be empty when each query has its own demonstrations (QueryDemos); give one or the other");
            if (task.QueryDemos.Count != task.Queries.Count)
                throw Error(source, "QueryDemos", $"has {task.QueryDemos.Count} lists for {task.Queries.Count} queries; give one list per query");
            for (int q = 0; q < task.QueryDemos.Count; q++) Examples(source, $"demos of query {q}", task.QueryDemos[q]);
        }
        Corruption(source, task);
    }

    private static void NotBlank(string source, string field, string? value, string fix)
    {
        if (string.IsNullOrWhiteSpace(value)) throw Error(source, field, $"is missing or empty; {fix}");
    }

    private static void Template(string source, string field, string? template, string[] required, string? forbidden, string example)
    {
        NotBlank(source, field, template, example);
        string allowed = string.Join(" and ", required);
        foreach (var p in IclTemplate.Placeholders(template!))
        {
            if (p == forbidden) throw Error(source, field, $"must not use {p}; use only {allowed}, {example}");
            if (p is not (IclTemplate.Input or IclTemplate.Label))
                throw Error(source, field, $"unknown placeholder {p}; the allowed placeholders are {IclTemplate.Input} and {IclTemplate.Label} " +
                    $"({field} uses {allowed}), {example}");
        }
        foreach (var p in required.Where(p => !IclTemplate.Uses(template!, p)))
            throw Error(source, field, $"does not use {p}; it must contain {allowed}, {example}");
    }

    private static void Examples(string source, string field, IReadOnlyList<IclExample>? examples)
    {
        if (examples is null || examples.Count == 0)
            throw Error(source, field, "is empty; add at least one {\"input\": \"...\", \"label\": \"...\"} entry");
        for (int i = 0; i < examples.Count; i++)
        {
            if (examples[i] is null) throw Error(source, $"{field}[{i}]", "is null; give an {\"input\": \"...\", \"label\": \"...\"} object");
            NotBlank(source, $"{field}[{i}].input", examples[i].Input, "give the example's text");
            NotBlank(source, $"{field}[{i}].label", examples[i].Label, "give the example's label, e.g. \"positive\"");
        }
    }

    private static void Corruption(string source, IclTask task)
    {
        var demoLabels = task.DemosOf(0).Select(d => d.Label).ToArray();
        if (task.QueryDemos is { } perQuery && task.Corruption is not null)
        {
            if (task.Corruption is ExplicitCorruption e && perQuery.FirstOrDefault(d => d.Count != e.Labels.Count) is { } odd)
                throw Error(source, "corruption.labels", $"has {e.Labels.Count} labels, but a prompt has {odd.Count} demos; " +
                    "give exactly one corrupted label per demo");
            // Whether the labels change (each prompt its own draw, lengths kept) is the prompt builder's check: a 1-shot
            // task is a fine task for accuracy, and only patching needs its corrupted twin.
            return;
        }
        switch (task.Corruption)
        {
            case null:
                throw Error(source, "corruption",
                    $"is missing; add e.g. {{\"kind\": \"label-map\", \"map\": {{\"positive\": \"negative\", \"negative\": \"positive\"}}}} " +
                    $"(kinds: {string.Join(", ", IclCorruption.Kinds)})");
            case LabelMapCorruption m:
                if (m.Map is null || m.Map.Count == 0)
                    throw Error(source, "corruption.map", "is empty; map at least one demo label to another label");
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (from, to) in m.Map)
                {
                    if (string.IsNullOrEmpty(from))
                        throw Error(source, "corruption.map", "has an empty label as a key; map real labels, e.g. \"positive\": \"negative\"");
                    if (!seen.Add(from)) throw Error(source, $"corruption.map[\"{from}\"]", "appears twice; keep one");
                    if (string.IsNullOrWhiteSpace(to))
                        throw Error(source, $"corruption.map[\"{from}\"]", "maps to an empty label; give the corrupted label");
                }
                break;
            case ExplicitCorruption x:
                if (x.Labels is null || x.Labels.Count != demoLabels.Length)
                    throw Error(source, "corruption.labels", $"has {x.Labels?.Count ?? 0} labels for {demoLabels.Length} demos; " +
                        "give exactly one corrupted label per demo, in demo order");
                for (int i = 0; i < x.Labels.Count; i++)
                    NotBlank(source, $"corruption.labels[{i}]", x.Labels[i], $"give the corrupted label of demos[{i}]");
                break;
            case ShuffleCorruption:
                if (demoLabels.Length < 2)
                    throw Error(source, "corruption", "kind 'shuffle' needs at least 2 demos (a derangement moves every label to another demo), " +
                        $"but there is {demoLabels.Length}; add demos or use 'label-map' or 'explicit'");
                break;
        }
        var corrupted = task.CorruptedLabels(0);
        if (corrupted.SequenceEqual(demoLabels, StringComparer.Ordinal))
            throw Error(source, "corruption", $"changes no demo label (labels stay [{string.Join(", ", demoLabels)}]); " +
                "clean and corrupted prompts would be identical, " +
                "so activation patching between them measures nothing (the normalised metric divides by zero): " +
                "make the corruption change at least one label");
    }
}
