using IclNotebook.Icl;

namespace IclNotebook.TaskVectors;

/// <summary>
/// The three prompts the task-vector protocol runs for one query: in context (its demonstrations + the query), the
/// dummy (its demonstrations + a dummy query: the first demonstration whose input differs from the query's), and the
/// query alone; with the expected answer.
/// </summary>
internal sealed record TaskVectorPrompts(string Query, string DummyQuery, string Icl, string Dummy, string ZeroShot, string Expected)
{
    public static TaskVectorPrompts Of(IclTask task, int query)
    {
        var demos = task.DemosOf(query);
        var real = task.Queries[query];
        if (demos.Count == 0)
            throw new IclException($"Task '{task.Name}': query {query} has no demonstrations, so there is nothing to make a task vector from.");
        var dummy = demos.FirstOrDefault(d => !string.Equals(d.Input, real.Input, StringComparison.Ordinal))
            ?? throw new IclException($"Task '{task.Name}': every demonstration of query {query} repeats its input '{real.Input}', so no " +
                "dummy query can be drawn from them; give the task demonstrations with other inputs.");
        string demoLines = string.Join(task.Separator, demos.Select(task.FormatDemo)) + task.Separator;
        return new TaskVectorPrompts(real.Input, dummy.Input, task.PromptText(query, demos.Count), demoLines + task.FormatQuery(dummy),
            task.PromptText(query, 0), task.FormatAnswer(real.Label));
    }
}
