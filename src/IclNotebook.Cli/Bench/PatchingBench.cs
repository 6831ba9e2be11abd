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
    public static void Run(string taskPath, int samples, BenchShape shape)
    {
        var task = IclTask.Load(taskPath);
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
            BenchReport.Line("clean + corrupted runs with cache", $"{BenchReport.F(setupSeconds, "F2")} s");

            var targets = new[] { PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery };
            double fastSeconds = setupSeconds, fastGflop = 0, referenceSeconds = 0, worstDiff = 0;
            var exact = new List<PatchResult>();
            foreach (var set in targets)
            {
                var result = new FastEngine().Run(setup, set, new ProgressLines(Console.Error));
                exact.Add(result);
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
            var approx = AttributionPatching.Run(setup, targets);
            BenchReport.Line("attribution patching, both targets (approximate)", $"{BenchReport.F(approx.Sum(a => a.Seconds), "F1")} s");
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
