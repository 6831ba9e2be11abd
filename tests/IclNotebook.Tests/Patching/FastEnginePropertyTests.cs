using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// The fast engine equals the reference engine (1e-5 nats of the unnormalised metric) for every
/// patch target, on seeded random tiny models and random clean/corrupted prompt batches: ragged
/// lengths (right padding), corruptions anywhere, shared "demonstration" prefixes (packed
/// segments), both metric read modes, small memory budgets that force many batches.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public class FastEnginePropertyTests
{
    private const double Tol = 1e-5;

    private static HookedTransformer RandomModel(int seed, int layers, int heads, string family = "gpt2") => RandomModels.Create(seed, layers, heads, family);

    /// <summary>
    /// Random prompts; with <paramref name="shared"/>, all prompts start with the same "demonstrations"
    /// (corrupted the same way in every prompt, as label swaps are) and differ after them.
    /// </summary>
    private static PatchingSetup RandomSetup(HookedTransformer model, int seed, bool colabExact, bool shared = false)
    {
        var rng = new Random(seed);
        int batch = rng.Next(shared ? 2 : 1, 4), maxLen = rng.Next(6, 11);
        int prefix = shared ? rng.Next(3, maxLen - 1) : 0;
        var demos = Enumerable.Range(0, prefix).Select(_ => rng.Next(model.Config.DVocab)).ToArray();
        var corruptedDemos = (int[])demos.Clone();
        if (shared) corruptedDemos[rng.Next(1, prefix)] = rng.Next(model.Config.DVocab);
        var clean = new List<int[]>();
        var corrupted = new List<int[]>();
        for (int b = 0; b < batch; b++)
        {
            int len = b == 0 ? maxLen : rng.Next(Math.Max(prefix + 1, 3), maxLen + 1);
            var ids = demos.Concat(Enumerable.Range(prefix, len - prefix).Select(_ => rng.Next(model.Config.DVocab))).ToArray();
            var bad = (int[])ids.Clone();
            Array.Copy(corruptedDemos, bad, prefix);
            foreach (var p in Enumerable.Range(0, rng.Next(shared ? 0 : 1, 3))) bad[rng.Next(Math.Max(1, prefix), len)] = rng.Next(model.Config.DVocab);
            clean.Add(ids);
            corrupted.Add(bad);
        }
        var cleanBatch = new TokenBatch(clean, 0);
        var answers = Enumerable.Range(0, batch).Select(_ => rng.Next(model.Config.DVocab)).ToArray();
        var metric = colabExact ? AnswerMetric.AtLastColumn(cleanBatch.MaxLength, answers) : AnswerMetric.AtLastRealToken(cleanBatch.Lengths, answers);
        return PatchingSetup.Create(model, cleanBatch, new TokenBatch(corrupted, 0), metric);
    }

    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var t in PatchTargets.All) data.Add(t.Name);
        foreach (var set in PatchTargets.Sets) data.Add(set.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Fast_equals_reference_for_every_target(string target)
    {
        var set = PatchTargets.Find(target);
        for (int seed = 1; seed <= 3; seed++)
        {
            using var model = RandomModel(seed, layers: 1 + seed % 2, heads: 2);
            foreach (var (colab, shared) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                using var setup = RandomSetup(model, seed * 7 + (colab ? 1 : 0) + (shared ? 2 : 0), colab, shared);
                Assert.True(!shared || SegmentLayout.SharedPrefix(setup.Clean, setup.Corrupted) >= 3, "shared-prefix cases must share their demonstrations");
                var reference = new ReferenceEngine().Run(setup, set);
                foreach (var options in new[] { new FastEngineOptions(), new FastEngineOptions { BatchMemoryMb = 0, MaxStartSpread = 0 }, new FastEngineOptions { PackSharedPrefix = false } })
                {
                    var fast = new FastEngine(options).Run(setup, set);
                    Assert.Equal(reference.Shape, fast.Shape);
                    TensorAssert.Close(reference.Values, fast.Values, Tol,
                        $"{target} seed {seed} colab {colab} shared {shared} options {options}: reference and fast");
                    TensorAssert.Close(reference.PerPrompt!.SelectMany(p => p).ToArray(), fast.PerPrompt!.SelectMany(p => p).ToArray(), Tol,
                        $"{target} seed {seed} colab {colab} shared {shared} options {options}: each prompt's, reference and fast");
                }
            }
        }
    }

    public static TheoryData<string, string> FamilyTargets()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in new[] { "neox", "llama", "qwen3", "gptj", "gemma2", "olmo2" })
            foreach (var t in PatchTargets.All.Select(t => t.Name).Concat(["attn_head_by_pos_every"]))
                data.Add(family, t);
        return data;
    }

    /// <summary>
    /// The same on GPT-NeoX-, Llama-, Qwen3-, GPT-J- and Gemma-2-shaped random models: rotated (and, in Qwen3, normalised) keys reused
    /// and packed tokens rotated by their own positions, grouped-query attention ungrouped for key and value patches, Gemma 2's window
    /// by the tokens' true positions in packed rows.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyTargets))]
    public void Fast_equals_reference_on_rotary_grouped_and_parallel_models(string family, string target)
    {
        var set = PatchTargets.Find(target);
        for (int seed = 1; seed <= 2; seed++)
        {
            using var model = RandomModel(seed, layers: 2, heads: 4, family);
            if (family is "neox" or "gptj" && set.Parts.Any(p => p.Activation == "resid_mid"))
            {
                // A parallel block has no resid_mid: refused up front, naming the hook and why.
                using var s = RandomSetup(model, seed, colabExact: false);
                var e = Assert.Throws<IclException>(() => new FastEngine().Run(s, set));
                Assert.Contains($"patches blocks.0.hook_resid_mid, which random-{family}-", e.Message, StringComparison.Ordinal);
                Assert.Contains("attention and MLP in parallel", e.Message, StringComparison.Ordinal);
                return;
            }
            foreach (var shared in new[] { false, true })
            {
                using var setup = RandomSetup(model, seed * 11 + (shared ? 3 : 0), colabExact: false, shared);
                var reference = new ReferenceEngine().Run(setup, set);
                foreach (var options in new[] { new FastEngineOptions(), new FastEngineOptions { BatchMemoryMb = 0, MaxStartSpread = 0 }, new FastEngineOptions { PackSharedPrefix = false } })
                {
                    var fast = new FastEngine(options).Run(setup, set);
                    TensorAssert.Close(reference.Values, fast.Values, Tol,
                        $"{family} {target} seed {seed} shared {shared} options {options}: reference and fast");
                    TensorAssert.Close(reference.PerPrompt!.SelectMany(p => p).ToArray(), fast.PerPrompt!.SelectMany(p => p).ToArray(), Tol,
                        $"{family} {target} seed {seed} shared {shared} options {options}: each prompt's, reference and fast");
                }
            }
        }
    }

    [Fact]
    public void Default_and_colab_exact_metrics_differ_only_where_padding_is_read()
    {
        using var model = RandomModel(11, 2, 2);
        var clean = new TokenBatch([[5, 6, 7, 8, 9], [5, 6, 7]], 0);
        var corrupted = new TokenBatch([[5, 16, 7, 8, 9], [5, 16, 7]], 0);
        using var exact = PatchingSetup.Create(model, clean, corrupted, AnswerMetric.AtLastColumn(5, [1, 2]));
        using var corrected = PatchingSetup.Create(model, clean, corrupted, AnswerMetric.AtLastRealToken(clean.Lengths, [1, 2]));
        Assert.Equal(exact.CleanPerPrompt[0], corrected.CleanPerPrompt[0]);       // full-length prompt: same read position
        Assert.NotEqual(exact.CleanPerPrompt[1], corrected.CleanPerPrompt[1]);    // short prompt: padding vs its last token
    }
}
