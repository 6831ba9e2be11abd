using IclNotebook.Circuits;

namespace IclNotebook.Tests.Circuits;

/// <summary>
/// The exact circuit run: every edge gives the clean run, no edge the corrupted one, and a sender's upstream with its one edge into
/// the logits is that path's path-patching effect; models whose heads' outputs do not add into the residual stream are refused by name.
/// </summary>
public sealed class CircuitFaithfulnessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<string> Additive() => ["gpt2", "neox", "llama", "gptj", "qwen3", "windowed"];

    [Theory]
    [MemberData(nameof(Additive))]
    public void Every_edge_is_the_clean_run_no_edge_the_corrupted_one_and_a_senders_edge_into_the_logits_its_path(string family)
    {
        using var model = RandomModels.Create(seed: 3, layers: 2, heads: 2, family);
        using var setup = PathPatchingTests.RandomSetup(model, seed: 4, logitDifference: family == "llama");
        var cfg = model.Config;
        var graph = PathSender.All(cfg).SelectMany(s => PathReceiver.All(cfg).Where(r => r.IsReachedBy(s, cfg)).Select(r => (s, r))).ToArray();
        var whole = CircuitFaithfulness.Evaluate(setup, graph);
        var none = CircuitFaithfulness.Evaluate(setup, []);
        double toClean = whole.Zip(setup.CleanPerPrompt, (a, b) => Math.Abs(a - b)).Max();
        double toCorrupted = none.Zip(setup.CorruptedPerPrompt, (a, b) => Math.Abs(a - b)).Max();
        var logits = PathReceiver.Logits(cfg.NLayers);
        var paths = PathPatching.Run(setup, receivers: [logits]);
        // With every edge into its layer and those before (so it and everything upstream compute their clean outputs) and one
        // edge on into the logits, a sender's circuit is its path into the logits.
        double toPaths = paths.Senders.Select((s, i) => CircuitFaithfulness.Evaluate(setup,
                [.. graph.Where(e => e.r.Layer <= s.Layer), (s, logits)])
            .Zip(paths.PerPrompt[i][0], (a, b) => Math.Abs(a - b)).Max()).Max();
        output.WriteLine($"{family}: {graph.Length} edges; every edge vs clean {toClean:E2}, none vs corrupted {toCorrupted:E2}, " +
            $"one edge into the logits vs its path {toPaths:E2}; clean - corrupted {setup.CleanBaseline - setup.CorruptedBaseline:F3}");
        Assert.True(toClean <= 1e-5, $"every edge: {toClean:E2} from the clean run");
        Assert.True(toCorrupted <= 1e-5, $"no edge: {toCorrupted:E2} from the corrupted run");
        Assert.True(toPaths <= 1e-5, $"one edge into the logits: {toPaths:E2} from its path-patching effect");
    }

    [Theory]
    [InlineData("gemma2")]
    [InlineData("olmo2")]
    public void Models_with_a_norm_after_attention_are_refused(string family)
    {
        using var model = RandomModels.Create(seed: 3, layers: 2, heads: 2, family);
        using var setup = PathPatchingTests.RandomSetup(model, seed: 4, logitDifference: false);
        var e = Assert.Throws<IclException>(() => CircuitFaithfulness.Evaluate(setup, []));
        Assert.Contains("after attention", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_that_does_not_exist_is_refused_and_a_repeated_edge_counts_once()
    {
        using var model = RandomModels.Create(seed: 3, layers: 2, heads: 2);
        using var setup = PathPatchingTests.RandomSetup(model, seed: 4, logitDifference: false);
        var e = Assert.Throws<IclException>(() => CircuitFaithfulness.Evaluate(setup, [(PathSender.AttentionHead(1, 0), PathReceiver.Key(1, 1))]));
        Assert.Contains("L1H0 -> L1H1.k", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => CircuitFaithfulness.Evaluate(setup, [(PathSender.AttentionHead(0, 9), PathReceiver.Logits(2))]));
        Assert.Contains("L0H9", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => CircuitFaithfulness.Evaluate(setup, [(PathSender.Embed, PathReceiver.Logits(5))]));
        Assert.Contains("logits", e.Message, StringComparison.Ordinal);
        var edge = (PathSender.Embed, PathReceiver.Logits(2));
        Assert.Equal(CircuitFaithfulness.Evaluate(setup, [edge]), CircuitFaithfulness.Evaluate(setup, [edge, edge]));
    }

    [Fact]
    public void Default_sizes_climb_by_1_2_5_to_the_whole_graph()
    {
        Assert.Equal([0, 1, 2, 5, 10, 20, 50, 100, 112], CircuitFaithfulness.DefaultSizes(112));
        Assert.Equal([0, 1, 2, 5, 10], CircuitFaithfulness.DefaultSizes(10));
    }
}
