using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Progress;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench patching</c>: the full analysis (resid_pre + attn_head_all_pos_every) of the
/// original task on a model of a real shape (<see cref="BenchShape"/>: GPT-2 small by default,
/// Pythia-160m, Qwen2.5-0.5B) with seeded random weights and the fast engine, against the reference
/// engine's time estimated from a seeded random sample of indices (which also cross-checks the
/// numbers), with GFLOP/s and peak RSS.
/// </summary>
public static class PatchingBench
{
    /// <param name="taskPath">The task file.</param>
    /// <param name="samples">Reference-engine indices timed per part.</param>
    /// <param name="shape">The model shape the random weights take.</param>
    /// <param name="prompts">For a dataset task, how many prompts to sample (null: the task's).</param>
    /// <param name="targets">The patch targets (null: resid_pre and attn_head_all_pos_every, the seed analysis).</param>
    /// <param name="shard">
    /// Only this shard of each grid, and no reference estimate: memory and speed over many prompts in a fraction of the time
    /// (null: the whole grids).
    /// </param>
    public static void Run(string taskPath, int samples, BenchShape shape, int? prompts = null, IReadOnlyList<string>? targets = null,
        PatchShard? shard = null)
    {
        var task = AnalysesBench.Sampled(IclTask.Load(taskPath), prompts);
        RandomCheckpoint.InTemporaryFolder(shape, "patching", (folder, _) =>
        {
            using var model = ModelLoader.LoadFolder(folder);
            var cfg = model.Config;
            var prompts = task.BuildPrompts(model.Tokenizer);
            Console.WriteLine($"icl bench patching: {shape.Name} (seeded random weights: {cfg.NLayers} layers, d_model {cfg.DModel}, " +
                $"{cfg.NHeads} heads{(cfg.Grouped ? $" ({cfg.NKv} key/value)" : "")}), " +
                $"task {task.Name} ({prompts.Count} x {prompts.CleanTokens.MaxLength} tokens, " +
                "simultaneous corruption, metric at each prompt's last token), " +
                $"torch threads {TorchSharp.torch.get_num_threads()}");
            Console.WriteLine($"  tokenizer: {shape.TokenizerNote}");
            BenchReport.CollectGarbage();
            using var rss = new RssSampler();
            var clock = Stopwatch.StartNew();
            using var setup = PatchingSetup.Create(model, prompts);
            double setupSeconds = clock.Elapsed.TotalSeconds;
            BenchReport.Line("clean + corrupted baselines (caches fill on demand)", $"{BenchReport.F(setupSeconds, "F2")} s");

            var sets = targets?.Select(PatchTargets.Find).ToArray() ?? [PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery];
            BenchReport.Line("prompt chunks of the caches",
                $"{setup.PromptRanges().Count} (at most {BenchReport.F(setup.CacheMemoryMb, "F0")} MB of cached activations at once)");
            if (shard is not null)
            {
                OneShard(setup, sets, shard, rss);
                return;
            }
            var exact = sets.Select(set => new FastEngine().Run(setup, set, new ProgressLines(Console.Error))).ToList();
            BenchReport.Line("peak RSS during caches and fast engine", $"{BenchReport.F(rss.PeakMb, "F0")} MB");
            double fastSeconds = setupSeconds, fastGflop = 0, referenceSeconds = 0, worstDiff = 0;
            foreach (var (set, result) in sets.Zip(exact))
            {
                fastSeconds += result.Seconds;
                fastGflop += result.Gflop;
                BenchReport.Line($"fast {set.Name}",
                    $"{BenchReport.F(result.Seconds, "F1")} s, {result.ForwardPasses} batched forwards, " +
                    $"{BenchReport.F(result.Gflop, "F0")} GFLOP, {BenchReport.F(result.Gflop / result.Seconds)} GFLOP/s");

                var (estimate, diff) = EstimateReference(setup, set, result, samples);
                referenceSeconds += estimate;
                worstDiff = Math.Max(worstDiff, diff);
                BenchReport.Line($"reference {set.Name} (estimated from {samples} per part)",
                    $"{BenchReport.F(estimate, "F0")} s; max |fast - reference| on the sample {BenchReport.F(diff, "E1")} nats");
            }
            var approx = AttributionPatching.Run(setup, sets);
            BenchReport.Line("attribution patching, every target (approximate)", $"{BenchReport.F(approx.Sum(a => a.Seconds), "F1")} s");
            for (int i = 0; i < approx.Count; i++)
            {
                var (pearson, maxError) = AttributionPatching.Compare(approx[i], exact[i]);
                string error = BenchReport.F(maxError, "E2");
                BenchReport.Line($"  vs exact {exact[i].Target}", $"Pearson {BenchReport.F(pearson, "F3")}, max |error| {error} nats");
            }
            BenchReport.Line("full analysis, fast engine (incl. caches)",
                $"{BenchReport.F(fastSeconds, "F1")} s ({BenchReport.F(fastGflop / (fastSeconds - setupSeconds))} GFLOP/s)");
            BenchReport.Line("full analysis, reference engine (estimate)", $"{BenchReport.F(referenceSeconds, "F0")} s");
            BenchReport.Line("speed-up", $"{BenchReport.F(referenceSeconds / fastSeconds)}x");
            BenchReport.Line("peak RSS during the analysis", $"{BenchReport.F(rss.PeakMb, "F0")} MB");
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }

    /// <summary>The fast engine on one shard of each set, then attribution patching of them all, each with its time and peak RSS.</summary>
    private static void OneShard(PatchingSetup setup, PatchTargetSet[] sets, PatchShard shard, RssSampler rss)
    {
        foreach (var set in sets)
        {
            var part = new FastEngine().RunShard(setup, set, shard, new ProgressLines(Console.Error));
            BenchReport.Line($"fast {set.Name}, shard {shard}",
                $"{part.Indices.Count} of {part.Shape.Aggregate(1L, (a, b) => a * b)} indices in {BenchReport.F(part.Seconds, "F1")} s, " +
                $"{part.ForwardPasses} batched forwards, {BenchReport.F(part.Gflop / part.Seconds)} GFLOP/s");
        }
        BenchReport.Line("peak RSS during caches and fast engine", $"{BenchReport.F(rss.PeakMb, "F0")} MB");
        using var attribution = new RssSampler();
        var approx = AttributionPatching.Run(setup, sets);
        BenchReport.Line("attribution patching, every target, whole grids", $"{BenchReport.F(approx.Sum(a => a.Seconds), "F1")} s, " +
            $"{approx[0].ForwardPasses / 2} passes of at most {setup.PromptRanges(AttributionPatching.ChunkWeight).Max(r => r.Count)} prompts, peak RSS {BenchReport.F(attribution.PeakMb, "F0")} MB");
        BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
    }

    /// <summary>
    /// Times the reference engine on a seeded sample of each part's indices; returns the full-grid estimate (s)
    /// and the worst disagreement with the fast result.
    /// </summary>
    internal static (double Seconds, double MaxDiff) EstimateReference(PatchingSetup setup, PatchTargetSet set, PatchResult fast, int samples)
    {
        var rng = new Random(12345);
        double total = 0, worst = 0;
        long offset = 0;
        foreach (var part in set.Parts)
        {
            var shape = part.Shape(setup.Model.Config, setup.NPos);
            long size = shape.Aggregate(1L, (a, b) => a * b);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < samples; i++)
            {
                long flat = rng.NextInt64(size);
                var index = Unflatten(flat, shape);
                double value = ReferenceEngine.Evaluate(setup, part, index);
                worst = Math.Max(worst, Math.Abs(value - fast.Values[(int)(offset + flat)]));
            }
            total += clock.Elapsed.TotalSeconds / samples * size;
            offset += size;
        }
        return (total, worst);
    }

    private static int[] Unflatten(long flat, long[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { index[d] = (int)(flat % shape[d]); flat /= shape[d]; }
        return index;
    }
}
