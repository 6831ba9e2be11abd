using IclNotebook.Icl;
using IclNotebook.Icl.Datasets;
using IclNotebook.Tokenization;

namespace IclNotebook.Toy;

/// <summary>
/// The task-vector toy's tasks as token ids, for the trainer: task k's pairs (input token, label token), and sequences
/// <c>[BOS] ("\n")* (input " ->" " label" "\n")* input " ->"</c>, whose answer follows the last token. The constructor checks
/// this layout against the kit's own prompt for each task file (the tokens an analysis sees), and refuses by name a task
/// that is not a dataset task in the toy's templates or a word that is not one token.
/// </summary>
internal sealed class TaskToyTokens
{
    /// <summary>The toy's demonstration template.</summary>
    public const string DemoTemplate = "{input} -> {label}";

    /// <summary>The toy's query template.</summary>
    public const string QueryTemplate = "{input} ->";

    private readonly long[][] _inputs, _labels;

    public TaskToyTokens(IReadOnlyList<IclTask> tasks, ModelTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Bos = tokenizer.BosId ?? throw new IclException($"The task toy needs a tokenizer with a BOS token; {tokenizer.Description} has none.");
        Newline = One(tokenizer, "\n", "separator", "the toy");
        Arrow = One(tokenizer, " ->", "arrow", "the toy");
        Names = tasks.Select(t => t.Name).ToArray();
        _inputs = new long[tasks.Count][];
        _labels = new long[tasks.Count][];
        for (int k = 0; k < tasks.Count; k++)
        {
            var task = tasks[k];
            if (task.Origin is null || task.DemoTemplate != DemoTemplate || task.QueryTemplate != QueryTemplate
                || task.Separator != "\n" || task.AnswerTemplate != " {label}")
                throw new IclException($"Task '{task.Name}' cannot train the task toy: it must be a dataset task with demoTemplate " +
                    $"'{DemoTemplate}', queryTemplate '{QueryTemplate}', answerTemplate ' {{label}}' and separator '\\n' " +
                    "(see data/tasks/toy-task-colour.json).");
            var pairs = PairDataset.Load(task.Origin.Dataset).Pairs;
            _inputs[k] = pairs.Select(p => One(tokenizer, p.Input, "input", task.Name)).ToArray();
            _labels[k] = pairs.Select(p => One(tokenizer, " " + p.Label, "label", task.Name)).ToArray();

            // The kit's own prompt for the task's first query must be this layout.
            var demos = task.DemosOf(0);
            var kit = task.BuildPrompts(tokenizer).CleanTokens.Ids[0];
            var mine = new List<long> { Bos };
            foreach (var d in demos) mine.AddRange([Token(tokenizer, d.Input), Arrow, Token(tokenizer, " " + d.Label), Newline]);
            mine.AddRange([Token(tokenizer, task.Queries[0].Input), Arrow]);
            int differs = Enumerable.Range(0, Math.Max(kit.Length, mine.Count))
                .FirstOrDefault(i => i >= kit.Length || i >= mine.Count || kit[i] != mine[i], -1);
            if (differs >= 0)
                throw new IclException($"Task '{task.Name}' does not tokenize as the toy's layout: its first prompt has {kit.Length} tokens, " +
                    $"expected {mine.Count} (BOS, then four per demonstration and two for the query), and differs first at position " +
                    $"{differs}. Choose inputs that stay one token at a line start before ' ->' and labels that stay one token after a space.");
            var repeated = pairs.GroupBy(p => p.Input, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (repeated is not null)
                throw new IclException($"Task '{task.Name}': the input '{repeated.Key}' has {repeated.Count()} pairs; the task toy's " +
                    "tasks are mappings, one label per input.");
            for (int j = 0; j < k; j++)
                if (_labels[j].Intersect(_labels[k]).FirstOrDefault(-1) is var shared and >= 0)
                    throw new IclException($"Tasks '{tasks[j].Name}' and '{task.Name}' share the label '{tokenizer.Decode((int)shared).Trim()}'; " +
                        "the task toy's label sets must be disjoint, so that a demonstration names its task.");
        }
    }

    /// <summary>The tasks' names, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    public long Bos { get; }

    public long Newline { get; }

    public long Arrow { get; }

    /// <summary>Task <paramref name="k"/>'s pairs.</summary>
    public int Pairs(int k) => _inputs[k].Length;

    public long Input(int k, int pair) => _inputs[k][pair];

    public long Label(int k, int pair) => _labels[k][pair];

    /// <summary>Every token a sequence can hold or answer.</summary>
    public IEnumerable<long> All =>
        new[] { Bos, Newline, Arrow }.Concat(_inputs.SelectMany(i => i)).Concat(_labels.SelectMany(l => l)).Distinct();

    /// <summary>Tokens of a sequence of <paramref name="demos"/> demonstrations after <paramref name="blankLines"/> "\n" tokens.</summary>
    public static int Length(int demos, int blankLines = 0) => 1 + blankLines + 4 * demos + 2;

    /// <summary>
    /// Task <paramref name="k"/>'s sequence of the pairs <paramref name="demos"/> then the query pair <paramref name="query"/>,
    /// after <paramref name="blankLines"/> blank lines; the targets are each demonstration's label after the first (predicted at
    /// its arrow: one demonstration names the task) and the query's answer at the last position.
    /// </summary>
    public (long[] Tokens, List<(int Position, long Label)> Targets) Sequence(int k, IReadOnlyList<int> demos, int query, int blankLines)
    {
        ArgumentNullException.ThrowIfNull(demos);
        var tokens = new long[Length(demos.Count, blankLines)];
        var targets = new List<(int, long)>();
        int p = 0;
        tokens[p++] = Bos;
        for (int i = 0; i < blankLines; i++) tokens[p++] = Newline;
        for (int d = 0; d < demos.Count; d++)
        {
            tokens[p++] = Input(k, demos[d]);
            if (d > 0) targets.Add((p, Label(k, demos[d])));
            tokens[p++] = Arrow;
            tokens[p++] = Label(k, demos[d]);
            tokens[p++] = Newline;
        }
        tokens[p++] = Input(k, query);
        targets.Add((p, Label(k, query)));
        tokens[p] = Arrow;
        return (tokens, targets);
    }

    /// <summary>The query alone, <c>[BOS] input " ->"</c>: the zero-shot prompt a task vector is patched into.</summary>
    public long[] QueryAlone(int k, int query) => [Bos, Input(k, query), Arrow];

    private static long Token(ModelTokenizer tokenizer, string text) => tokenizer.Encode(text) is [var id] ? id : -1;

    private static long One(ModelTokenizer tokenizer, string text, string what, string task)
    {
        var ids = tokenizer.Encode(text);
        return ids.Length == 1 ? ids[0]
            : throw new IclException($"{task}: the {what} '{text.Trim()}' is {ids.Length} tokens as " +
                $"'{text.Replace("\n", "\\n", StringComparison.Ordinal)}' ({tokenizer.Description}); " +
                "every input and label of the task toy must be one token (inputs at a line start, labels after a space).");
    }
}
