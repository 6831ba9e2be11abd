using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Tokenization;

namespace IclNotebook.Toy;

/// <summary>
/// A second prompt pair for an associative-recall task, beside its label corruption: each query
/// asks once, and in the corrupted prompt the asked demonstration's input trades places with the
/// next demonstration's (cyclically) while every label stays where it is, so the query now matches
/// a demonstration with a different label. A label corruption cannot show a previous-token head
/// (it attends from a label to its input, and the inputs do not change); this pair changes only
/// which input precedes which label, the route that head carries, so patching shows it and the
/// induction head's keys that read it.
/// </summary>
public static class InputSwap
{
    /// <summary>The clean prompts (one per query) and their input-swapped twins, with log P(answer) at each prompt's last token.</summary>
    public static (TokenBatch Clean, TokenBatch Corrupted, AnswerMetric Metric) Prompts(IclTask task, ModelTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (task.Demos.Count < 2) throw new IclException($"An input swap needs at least two demonstrations; '{task.Name}' has {task.Demos.Count}.");
        var clean = new List<int[]>();
        var corrupted = new List<int[]>();
        var answers = new List<int>();
        foreach (var query in task.Queries)
        {
            int d = Enumerable.Range(0, task.Demos.Count).FirstOrDefault(i => task.Demos[i].Input == query.Input, -1);
            if (d < 0)
                throw new IclException($"The query '{query.Input}' of '{task.Name}' repeats no demonstration's input; " +
                    "an input swap needs every query to ask a demonstration.");
            int k = (d + 1) % task.Demos.Count;
            var swapped = task.Demos.Select((e, i) =>
                i == d ? e with { Input = task.Demos[k].Input } : i == k ? e with { Input = task.Demos[d].Input } : e).ToArray();
            if (task.Demos[d].Label == task.Demos[k].Label)
                throw new IclException($"The query '{query.Input}' asks a demonstration whose neighbour has the same label " +
                    $"('{task.Demos[d].Label}'): swapping their inputs changes no answer. Reorder the demonstrations.");
            var one = task with { Queries = [query] };
            var cleanPrompts = one.BuildPrompts(tokenizer);
            var swappedPrompts = (one with { Demos = swapped }).BuildPrompts(tokenizer);
            clean.Add(cleanPrompts.CleanTokens.Ids[0]);
            corrupted.Add(swappedPrompts.CleanTokens.Ids[0]);
            answers.Add(cleanPrompts.AnswerTokenIds[0]);
        }
        int pad = tokenizer.PadId;
        var cleanBatch = new TokenBatch(clean, pad) { Tokenizer = tokenizer };
        var corruptedBatch = new TokenBatch(corrupted, pad) { Tokenizer = tokenizer };
        var metric = AnswerMetric.At(MetricRead.LastToken, cleanBatch.Lengths, answers);
        return (cleanBatch, corruptedBatch, metric);
    }

    /// <summary>A patching setup of <see cref="Prompts"/> on <paramref name="model"/> (dispose it).</summary>
    public static PatchingSetup Setup(HookedTransformer model, IclTask task)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (clean, corrupted, metric) = Prompts(task, model.Tokenizer);
        return PatchingSetup.Create(model, clean, corrupted, metric);
    }
}
