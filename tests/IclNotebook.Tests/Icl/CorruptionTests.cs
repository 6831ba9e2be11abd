using System.Text.Json.Nodes;
using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Icl;

/// <summary>The corruption kinds and the prompt builder's checks.</summary>
public class CorruptionTests
{
    private static readonly Gpt2Tokenizer Tok = new Gpt2Tokenizer();
    private static readonly string[] SixLabels = ["a", "b", "c", "d", "e", "f"];

    private static IclTask Task(Action<JsonObject> edit) => IclTask.Parse(IclTestData.Json(edit), "test.json");

    private static IReadOnlyList<string> Shuffle(long seed) => new ShuffleCorruption(seed).Apply(SixLabels);

    [Fact]
    public void Label_map_maps_all_labels_at_once_and_keeps_unmapped_ones()
    {
        var map = new LabelMapCorruption([new("positive", "negative"), new("negative", "positive")]);
        Assert.Equal(["negative", "positive", "neutral"], map.Apply(["positive", "negative", "neutral"]));
        // The original's loop sends positive to negative and straight back.
        Assert.Equal("x: positive", map.ApplySequentially("x: positive"));
        Assert.Equal("x: positive", map.ApplySequentially("x: negative"));
    }

    [Fact]
    public void Sequential_replay_also_rewrites_label_words_inside_the_input()
    {
        var task = Task(t => t["demos"]![1]!["input"] = "Not negative at all.");
        Assert.Equal("Review: Not positive at all. Sentiment: positive", task.BuildPrompts(Tok, CorruptionReplay.Sequential).CorruptedPrompts[0].Split('\n')[1]);
        Assert.Equal("Review: Not negative at all. Sentiment: positive", task.BuildPrompts(Tok).CorruptedPrompts[0].Split('\n')[1]);
    }

    [Fact]
    public void Explicit_gives_each_demo_its_label()
    {
        var set = Task(t => t["corruption"] = new JsonObject { ["kind"] = "explicit", ["labels"] = IclTestData.Strings("neutral", "mixed") }).BuildPrompts(Tok);
        Assert.Equal(["neutral", "mixed"], set.CorruptedDemoLabels[0]);
        Assert.Equal("Review: Great food. Sentiment: neutral\nReview: Cold soup. Sentiment: mixed\nReview: Lovely staff. Sentiment:", set.CorruptedPrompts[0]);
        Assert.Equal([3967], set.AnswerTokenIds);
    }

    [Fact]
    public void Shuffle_is_a_derangement()
    {
        for (long seed = 0; seed < 50; seed++)
        {
            var labels = Shuffle(seed);
            Assert.Equal(SixLabels.Order(), labels.Order());
            Assert.All(Enumerable.Range(0, 6), i => Assert.NotEqual(SixLabels[i], labels[i]));
        }
    }

    [Fact]
    public void Shuffle_same_seed_same_result_different_seed_can_differ()
    {
        Assert.Equal(Shuffle(7), Shuffle(7));
        var distinct = Enumerable.Range(0, 10).Select(s => string.Join(",", Shuffle(s))).Distinct().Count();
        Assert.True(distinct > 1, "ten seeds all gave the same shuffle");
    }

    [Fact]
    public void Shuffle_is_pinned_across_runtimes_and_machines()
    {
        // Values from an independent Python SplitMix64 + Fisher-Yates-with-rejection implementation.
        Assert.Equal([5, 3, 4, 2, 0, 1], new ShuffleCorruption(0).Derangement(6));
        Assert.Equal([3, 5, 4, 1, 0, 2], new ShuffleCorruption(1).Derangement(6));
        Assert.Equal([4, 3, 0, 2, 5, 1], new ShuffleCorruption(42).Derangement(6));
        Assert.Equal([5, 2, 3, 4, 0, 1], new ShuffleCorruption(-1).Derangement(6));
        Assert.Equal(6457827717110365317UL, new SplitMix64(1234567).Next()); // the published test vector
    }

    [Fact]
    public void Shuffle_from_json_swaps_two_demos()
    {
        var set = Task(t => t["corruption"] = new JsonObject { ["kind"] = "shuffle", ["seed"] = 3 }).BuildPrompts(Tok);
        Assert.Equal(["negative", "positive"], set.CorruptedDemoLabels[0]);
    }

    [Fact]
    public void Sequential_replay_needs_a_label_map()
    {
        var task = Task(t => t["corruption"] = new JsonObject { ["kind"] = "shuffle", ["seed"] = 3 });
        var e = Assert.Throws<IclException>(() => task.BuildPrompts(Tok, CorruptionReplay.Sequential));
        Assert.Contains("only defined for kind 'label-map'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'shuffle'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sequential_replay_that_changes_nothing_is_an_error()
    {
        // Simultaneously a swap, sequentially positive -> negative -> positive: nothing changes.
        var task = Task(t => t["demos"] = new JsonArray(IclTestData.Example("Great food.", "positive"), IclTestData.Example("Nice.", "positive")));
        var e = Assert.Throws<IclException>(() => task.BuildPrompts(Tok, CorruptionReplay.Sequential));
        Assert.Contains("changes no demo line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_token_answer_names_the_query_label_and_tokens()
    {
        var task = Task(t => t["queries"] = new JsonArray(IclTestData.Example("Fine.", "positive"), IclTestData.Example("Meh.", "so-so")));
        var e = Assert.Throws<IclException>(() => task.BuildPrompts(Tok));
        Assert.Contains("queries[1].label", e.Message, StringComparison.Ordinal);
        Assert.Contains("'so-so'", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"becomes \d+ tokens after the prompt \[", e.Message);
    }

    [Fact]
    public void Corrupted_label_of_another_token_length_is_an_error_naming_the_position()
    {
        var task = Task(t => t["corruption"] = new JsonObject { ["kind"] = "explicit", ["labels"] = IclTestData.Strings("overwhelmingly-negative", "positive") });
        var e = Assert.Throws<IclException>(() => task.BuildPrompts(Tok));
        int labelPos = 1 + Tok.Encode("Review: Great food. Sentiment:").Length; // BOS first
        int corruptedFirst = Tok.Encode(" overwhelmingly-negative")[0];
        Assert.Contains("query 0", e.Message, StringComparison.Ordinal);
        Assert.Matches(@"clean prompt is \d+ tokens but the corrupted one \(Simultaneous replay\) is \d+", e.Message);
        Assert.Contains($"first differ at position {labelPos} ", e.Message, StringComparison.Ordinal);
        Assert.Contains($"clean ' positive' (3967), corrupted '{Tok.Decode(corruptedFirst)}' ({corruptedFirst})", e.Message, StringComparison.Ordinal);
    }
}
