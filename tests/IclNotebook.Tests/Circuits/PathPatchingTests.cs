using IclNotebook.Circuits;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Circuits;

/// <summary>
/// Exact path patching: the fast engine equals the reference written from the definition on random models of every family
/// (ragged prompts, corruptions anywhere, both metrics), and a sender that cannot reach a receiver gives exactly the corrupted run.
/// </summary>
public sealed class PathPatchingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Tol = 1e-5;

    public static TheoryData<string> Families() => ["gpt2", "neox", "llama", "gptj", "qwen3", "gemma2", "windowed", "olmo2"];

    [Theory]
    [MemberData(nameof(Families))]
    public void Fast_equals_the_reference_and_unreachable_paths_are_exactly_the_corrupted_run(string family)
    {
        using var model = RandomModels.Create(seed: 7, layers: 3, heads: 2, family);
        using var setup = RandomSetup(model, seed: 11, logitDifference: family is "llama" or "gemma2");
        var fast = PathPatching.Run(setup);
        var reference = PathPatching.Run(setup, options: new PathPatchingOptions { Engine = PatchEngineKind.Reference });
        double worst = 0, worstUnreachable = 0;
        int reachable = 0;
        for (int s = 0; s < fast.Senders.Count; s++)
            for (int r = 0; r < fast.Receivers.Count; r++)
            {
                var (sender, receiver) = (fast.Senders[s], fast.Receivers[r]);
                for (int b = 0; b < setup.Clean.Count; b++)
                {
                    double difference = Math.Abs(fast.PerPrompt[s][r][b] - reference.PerPrompt[s][r][b]);
                    worst = Math.Max(worst, difference);
                    Assert.True(difference <= Tol, $"{family} {sender} -> {receiver}, prompt {b}: fast {fast.PerPrompt[s][r][b]:G9}, " +
                        $"reference {reference.PerPrompt[s][r][b]:G9}");
                }
                if (receiver.IsReachedBy(sender, model.Config)) { reachable++; continue; }
                Assert.Equal(setup.CorruptedPerPrompt, fast.PerPrompt[s][r]);                // exactly, with no forward
                Assert.Equal(0.0, fast.Normalised(s, r));
                worstUnreachable = Math.Max(worstUnreachable, reference.PerPrompt[s][r].Zip(setup.CorruptedPerPrompt, (a, c) => Math.Abs(a - c)).Max());
            }
        // The grid has a signal: some paths move the metric by far more than the tolerance.
        double largest = fast.Edges()[0].Value - fast.CorruptedBaseline;
        output.WriteLine($"{family}: {fast.Senders.Count} x {fast.Receivers.Count}, {reachable} reachable; fast vs reference max {worst:E2}; " +
            $"reference's unreachable paths within {worstUnreachable:E2} of the corrupted run; top path {fast.Edges()[0].Label} moves the metric {largest:F4}");
        Assert.True(Math.Abs(largest) > 100 * Tol, $"{family}: the largest path effect is {largest:E2}: the test would not see an error");
        Assert.True(worstUnreachable <= Tol);
    }

    [Fact]
    public void Senders_and_receivers_outside_the_model_are_refused_by_name()
    {
        using var model = RandomModels.Create(seed: 1, layers: 2, heads: 2);
        using var setup = RandomSetup(model, seed: 3, logitDifference: false);
        var e = Assert.Throws<IclException>(() => PathPatching.Run(setup, [PathSender.AttentionHead(2, 0)]));
        Assert.Contains("L2H0", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => PathPatching.Run(setup, receivers: [PathReceiver.Key(1, 5)]));
        Assert.Contains("L1H5.k", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => PathPatching.Run(setup, receivers: [PathReceiver.Logits(1)]));
        Assert.Contains("logits", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => EdgeAttribution.Run(setup, senders: []));
        Assert.Contains("at least one sender", e.Message, StringComparison.Ordinal);
        // OLMo-2 with grouped keys and values normalises its keys over every key head: one query head's copy is not defined.
        ModelConfig olmo;
        using (var olmo2 = RandomModels.Create(seed: 1, layers: 2, heads: 2, "olmo2")) olmo = olmo2.Config with { NKeyValueHeads = 1 };
        e = Assert.Throws<IclException>(() => PathReceiver.Key(1, 0).Check(olmo));
        Assert.Contains("over all key heads", e.Message, StringComparison.Ordinal);
        PathReceiver.Query(1, 0).Check(olmo);
    }

    [Fact]
    public void Labels_are_transformer_lens_names()
    {
        Assert.Equal("L1H0", PathSender.AttentionHead(1, 0).Label);
        Assert.Equal("5_mlp_out", PathSender.Mlp(5).Label);
        Assert.Equal("L3H2.q", PathReceiver.Query(3, 2).Label);
        Assert.Equal("L3H2.k", PathReceiver.Key(3, 2).Label);
        Assert.Equal("L3H2.v", PathReceiver.Value(3, 2).Label);
        Assert.Equal("0_mlp_in", PathReceiver.MlpInput(0).Label);
        Assert.Equal("logits", PathReceiver.Logits(12).Label);
        var cfg = new ModelConfig("m", 2, 16, 2, 8, 64, 97, 32, 1e-5);
        Assert.Equal("embed", PathSender.Embed.Label);
        Assert.Equal(7, PathSender.All(cfg).Count);
        Assert.True(PathReceiver.MlpInput(0).IsReachedBy(PathSender.Embed, cfg));
        Assert.Equal(2 * (2 * 3 + 1) + 1, PathReceiver.All(cfg).Count);
        // A head reaches its own layer's MLP unless attention and MLP run in parallel; never its own layer's heads.
        Assert.True(PathReceiver.MlpInput(1).IsReachedBy(PathSender.AttentionHead(1, 0), cfg));
        Assert.False(PathReceiver.MlpInput(1).IsReachedBy(PathSender.AttentionHead(1, 0), cfg with { ParallelAttnMlp = true }));
        Assert.False(PathReceiver.MlpInput(1).IsReachedBy(PathSender.Mlp(1), cfg));
        Assert.False(PathReceiver.Query(1, 0).IsReachedBy(PathSender.AttentionHead(1, 1), cfg));
        Assert.True(PathReceiver.Logits(2).IsReachedBy(PathSender.Mlp(1), cfg));
    }

    /// <summary>Two or three prompts of different lengths, one to three tokens corrupted anywhere after the first.</summary>
    internal static PatchingSetup RandomSetup(HookedTransformer model, int seed, bool logitDifference)
    {
        var rng = new Random(seed);
        int batch = rng.Next(2, 4), maxLen = rng.Next(7, 11), vocab = model.Config.DVocab;
        var clean = new List<int[]>();
        var corrupted = new List<int[]>();
        for (int b = 0; b < batch; b++)
        {
            int len = b == 0 ? maxLen : rng.Next(4, maxLen + 1);
            var ids = Enumerable.Range(0, len).Select(_ => rng.Next(vocab)).ToArray();
            var bad = (int[])ids.Clone();
            for (int i = rng.Next(1, 4); i > 0; i--) bad[rng.Next(1, len)] = rng.Next(vocab);
            clean.Add(ids);
            corrupted.Add(bad);
        }
        var cleanBatch = new TokenBatch(clean, 0);
        var answers = Enumerable.Range(0, batch).Select(_ => rng.Next(vocab)).ToArray();
        var metric = AnswerMetric.AtLastRealToken(cleanBatch.Lengths, answers);
        if (logitDifference) metric = metric.WithWrongAnswers(answers.Select(a => (a + 1) % vocab).ToArray());
        return PatchingSetup.Create(model, cleanBatch, new TokenBatch(corrupted, 0), metric);
    }
}
