using IclNotebook.Icl;
using IclNotebook.Tokenization;
using IclNotebook.Toy;

namespace IclNotebook.Tests.Toy;

/// <summary>The toy task: fresh mappings, a query that repeats a demonstration, every word one GPT-2 token, deterministic.</summary>
public class AssociativeRecallTests
{
    private static readonly AssociativeRecall Recall = new();

    [Fact]
    public void A_sequence_asks_for_the_label_of_one_of_its_demonstrations()
    {
        foreach (var task in Recall.Sequences(50))
        {
            Assert.Equal(Recall.Demos, task.Demos.Count);
            Assert.Equal(task.Demos.Count, task.Demos.Select(d => d.Input).Distinct().Count());
            var query = Assert.Single(task.Queries);
            var demo = Assert.Single(task.Demos, d => d.Input == query.Input);
            Assert.Equal(demo.Label, query.Label);
            Assert.All(task.Demos, d => Assert.Contains(d.Label, Recall.Labels));
        }
    }

    [Fact]
    public void The_mapping_is_fresh_per_sequence_and_fixed_by_the_seed()
    {
        var a = Recall.Sequence(7);
        Assert.Equal(a, Recall.Sequence(7), new TaskText());
        var mappings = Recall.Sequences(40).Select(t => string.Join(",", t.Demos.Select(d => $"{d.Input}={d.Label}"))).ToList();
        Assert.Equal(40, mappings.Distinct().Count());
        // Across sequences the same input gets different labels (no fixed mapping to memorise).
        var apple = Recall.Sequences(400).SelectMany(t => t.Demos).Where(d => d.Input == "apple").Select(d => d.Label).Distinct().Count();
        Assert.Equal(Recall.Labels.Count, apple);
    }

    [Fact]
    public void Every_word_is_one_gpt2_token_and_the_corruption_swaps_every_label()
    {
        var tokenizer = new Gpt2Tokenizer();
        foreach (var word in Recall.Inputs.Concat(Recall.Labels)) tokenizer.ToSingleToken(" " + word);
        foreach (var word in Recall.Inputs) tokenizer.ToSingleToken(word);             // inputs start a line in the prompt
        var prompts = Recall.Sequence(3).BuildPrompts(tokenizer);
        Assert.All(prompts.CleanDemoLabels[0].Zip(prompts.CorruptedDemoLabels[0]), x => Assert.NotEqual(x.First, x.Second));
        Assert.Equal(prompts.CleanTokens.Lengths, prompts.CorruptedTokens.Lengths);
        Assert.EndsWith("\n" + Recall.Sequence(3).Queries[0].Input, prompts.CleanPrompts[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Contains("1..32 demonstrations", Assert.Throws<IclException>(() => (Recall with { Demos = 40 }).Sequence(0)).Message, StringComparison.Ordinal);
        Assert.Contains("two labels", Assert.Throws<IclException>(() => (Recall with { Labels = ["red"] }).Sequence(0)).Message, StringComparison.Ordinal);
    }

    private sealed class TaskText : IEqualityComparer<IclTask>
    {
        public bool Equals(IclTask? x, IclTask? y) => x is not null && y is not null && x.Demos.SequenceEqual(y.Demos) && x.Queries.SequenceEqual(y.Queries);
        public int GetHashCode(IclTask obj) => obj.Demos.Count;
    }
}
