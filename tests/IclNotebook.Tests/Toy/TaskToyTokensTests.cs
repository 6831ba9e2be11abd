using IclNotebook.Icl;
using IclNotebook.Tokenization;
using IclNotebook.Toy;

namespace IclNotebook.Tests.Toy;

/// <summary>The task toy's token layout: the kit's own prompts, the targets, and clear refusals.</summary>
public class TaskToyTokensTests
{
    private static readonly string[] Names = new TaskToyOptions().Tasks.ToArray();

    private static IclTask[] Shipped() => Names.Select(n => IclTask.Load(TaskFiles.Resolve(n))).ToArray();

    [Fact]
    public void Every_shipped_task_is_the_toy_layout_and_each_target_is_the_token_after_it()
    {
        var layout = new TaskToyTokens(Shipped(), new Gpt2Tokenizer());
        Assert.Equal(Names, layout.Names);
        Assert.Equal(4 * 8 + 32 + 3, layout.All.Count());                           // 32 shared inputs, four disjoint label sets, BOS "\n" " ->"
        var (tokens, targets) = layout.Sequence(2, [5, 9, 0], 7, blankLines: 2);
        Assert.Equal(TaskToyTokens.Length(3, 2), tokens.Length);
        Assert.Equal(layout.Arrow, tokens[^1]);
        Assert.Equal(layout.Input(2, 7), tokens[^2]);
        Assert.Equal([layout.Label(2, 9), layout.Label(2, 0), layout.Label(2, 7)], targets.Select(t => t.Label));
        foreach (var (position, label) in targets.Take(2)) Assert.Equal(label, tokens[position + 1]);   // a demonstration's label follows its arrow
        Assert.All(targets, t => Assert.Equal(layout.Arrow, tokens[t.Position]));
        Assert.Equal([layout.Bos, layout.Input(1, 4), layout.Arrow], layout.QueryAlone(1, 4));
    }

    [Fact]
    public void A_hand_written_task_or_a_label_of_two_tokens_is_refused_by_name()
    {
        var handWritten = IclTask.Load(TaskFiles.Resolve("associative-recall"));
        var e = Assert.Throws<IclException>(() => new TaskToyTokens([handWritten], new Gpt2Tokenizer()));
        Assert.Contains("'associative-recall' cannot train the task toy", e.Message, StringComparison.Ordinal);

        var dir = Directory.CreateTempSubdirectory("task-toy-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "pairs.json"), """
                [{"input": "apple", "output": "red"}, {"input": "river", "output": "turquoise"}, {"input": "chair", "output": "red"}]
                """);
            File.WriteAllText(Path.Combine(dir, "task.json"), """
                {"name": "two-token-label", "dataset": "pairs.json", "shots": 1, "prompts": 2, "seed": 0,
                 "demoTemplate": "{input} -> {label}", "queryTemplate": "{input} ->", "answerTemplate": " {label}", "separator": "\n"}
                """);
            var task = IclTask.Load(Path.Combine(dir, "task.json"));
            e = Assert.Throws<IclException>(() => new TaskToyTokens([task], new Gpt2Tokenizer()));
            Assert.Matches("^two-token-label: the label 'turquoise' is [23] tokens as ' turquoise'", e.Message);
            Assert.Contains("must be one token", e.Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(dir, "pairs.json"), """
                [{"input": "apple", "output": "red"}, {"input": "river", "output": "blue"}, {"input": "chair", "output": "green"}, {"input": "paper", "output": "black"}]
                """);
            File.WriteAllText(Path.Combine(dir, "task.json"), File.ReadAllText(Path.Combine(dir, "task.json")).Replace("\"shots\": 1", "\"shots\": 3"));
            var colours = IclTask.Load(Path.Combine(dir, "task.json"));
            e = Assert.Throws<IclException>(() => new TaskToyTokens([Shipped()[0], colours], new Gpt2Tokenizer()));
            Assert.Matches("^Tasks 'toy-task-colour' and 'two-token-label' share the label '(red|blue|green|black)'; .* must be disjoint", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
