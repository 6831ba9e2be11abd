using System.Text.Json;
using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Icl;

/// <summary>data/tasks/sentiment.json against the original notebook's prompts and token ids.</summary>
public class SentimentTaskTests
{
    private static readonly Gpt2Tokenizer Tok = new Gpt2Tokenizer();
    private static JsonElement Fixture => Fixtures.Json(Fixtures.Prompts);

    private static string[] Strings(string name) => Fixture.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static int[] Ints(string name) => Fixture.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static IclPromptSet Build(CorruptionReplay mode) => IclTask.Load(IclTestData.SentimentTask).BuildPrompts(Tok, mode);

    [Fact]
    public void Task_file_holds_the_original_demos_queries_and_answers()
    {
        var task = IclTask.Load(IclTestData.SentimentTask);
        var pairs = Fixture.GetProperty("demo_pairs").EnumerateArray().Select(p => new IclExample(p[0].GetString()!, p[1].GetString()!));
        Assert.Equal(pairs, task.Demos);
        Assert.Equal(Strings("queries"), task.Queries.Select(q => q.Input));
        Assert.Equal(["positive", "negative", "mixed", "positive"], task.Queries.Select(q => q.Label));
        Assert.Equal(Strings("expected_answers"), task.Queries.Select(q => q.Label));
        var map = Assert.IsType<LabelMapCorruption>(task.Corruption).Map;
        Assert.Equal(["positive", "negative", "neutral", "mixed"], map.Select(kv => kv.Key));
        Assert.Equal(["negative", "positive", "mixed", "neutral"], map.Select(kv => kv.Value));
    }

    [Fact]
    public void ColabExact_reproduces_the_fixture_prompts_and_labels()
    {
        var set = Build(CorruptionReplay.Sequential);
        Assert.Equal(CorruptionReplay.Sequential, set.Replay);
        Assert.Equal(Strings("clean_prompts"), set.CleanPrompts);
        Assert.Equal(Strings("corrupted_prompts"), set.CorruptedPrompts);
        Assert.Equal(Strings("clean_demo_labels"), set.CleanDemoLabels[0]);
        Assert.Equal(Strings("corrupted_demo_labels"), set.CorruptedDemoLabels[0]);
        Assert.Equal(Strings("expected_answers"), set.AnswerLabels);
        Assert.Equal([" positive", " negative", " mixed", " positive"], set.AnswerStrings);
        Assert.Equal([3967, 4633, 7668, 3967], set.AnswerTokenIds);
        Assert.Equal(Ints("expected_token_ids"), set.AnswerTokenIds);
    }

    [Fact]
    public void ColabExact_reproduces_the_fixture_token_ids()
    {
        var set = Build(CorruptionReplay.Sequential);
        Assert.Equal(Fixtures.LongRows(Fixture.GetProperty("clean_tokens")), set.CleanTokens.Padded());
        Assert.Equal(Fixtures.LongRows(Fixture.GetProperty("corrupted_tokens")), set.CorruptedTokens.Padded());
        Assert.Equal(Ints("clean_lengths"), set.CleanTokens.Lengths);
        Assert.Equal(Ints("corrupted_lengths"), set.CorruptedTokens.Lengths);
        Assert.Equal([139, 137, 136, 132], set.CleanTokens.Lengths);
        Assert.Equal(Gpt2Tokenizer.EndOfText, set.CleanTokens.PadId);
    }

    [Fact]
    public void Default_corrupts_every_demo_at_once()
    {
        var set = Build(CorruptionReplay.Simultaneous);
        Assert.Equal(CorruptionReplay.Simultaneous, set.Replay);
        Assert.Equal(Strings("clean_prompts"), set.CleanPrompts);
        Assert.Equal(["negative", "positive", "mixed", "neutral", "negative", "positive"], set.CorruptedDemoLabels[0]);
        Assert.All(set.CleanDemoLabels[0].Zip(set.CorruptedDemoLabels[0]), p => Assert.NotEqual(p.First, p.Second));
        Assert.Equal([3967, 4633, 7668, 3967], set.AnswerTokenIds);
        Assert.Equal(set.CleanTokens.Lengths, set.CorruptedTokens.Lengths);
        // Only the label tokens differ: one position per demo.
        var diffs = Enumerable.Range(0, set.CleanTokens.Ids[0].Length).Count(p => set.CleanTokens.Ids[0][p] != set.CorruptedTokens.Ids[0][p]);
        Assert.Equal(6, diffs);
    }

    [Fact]
    public void Default_differs_from_ColabExact_exactly_in_the_positive_and_neutral_demos()
    {
        var exact = Build(CorruptionReplay.Sequential);
        var fixedUp = Build(CorruptionReplay.Simultaneous);
        for (int q = 0; q < exact.Count; q++)
        {
            var a = exact.CorruptedPrompts[q].Split('\n');
            var b = fixedUp.CorruptedPrompts[q].Split('\n');
            Assert.Equal(7, a.Length);
            var differing = Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]);
            Assert.Equal([0, 2, 4], differing);
        }
        var labelsDiffer = exact.CleanDemoLabels[0].Select((l, i) => (l, i)).Where(x => exact.CorruptedDemoLabels[0][x.i] != fixedUp.CorruptedDemoLabels[0][x.i]).Select(x => x.l);
        Assert.Equal(["positive", "neutral", "positive"], labelsDiffer);
    }
}
