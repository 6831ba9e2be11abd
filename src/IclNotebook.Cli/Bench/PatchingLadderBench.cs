using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench patching --demos 6,12,24</c>: how the fast engine's rate holds as prompts grow. The
/// task's demonstrations are cycled to each count (6 demos twice = 12), and at each length the fast
/// engine runs resid_pre (the whole seed analysis, resid_pre + attn_head_all_pos_every, at the first
/// length) with its exact FLOP count, GFLOP/s, peak RSS and the reference engine's time estimated from
/// a seeded sample; a plain forward of each length and a plain matmul in the same run are the
/// machine's yardstick.
/// </summary>
public static class PatchingLadderBench
{
    /// <param name="targets">Targets timed at every length (null: resid_pre, plus attn_head_all_pos_every at the first length).</param>
    /// <param name="engine">The fast engine's settings (e.g. its batch memory budget).</param>
    public static void Run(string taskPath, IReadOnlyList<int> demoCounts, int samples, BenchShape shape, IReadOnlyList<string>? targets = null,
            FastEngineOptions? engine = null)
    {
        engine ??= new FastEngineOptions();
        var chosen = targets?.Select(PatchTargets.Find).ToArray();
        var task = IclTask.Load(taskPath);
        RandomCheckpoint.InTemporaryFolder(shape, "patching", (folder, _) =>
        {
            using var model = ModelLoader.LoadFolder(folder);
            var cfg = model.Config;
            Console.WriteLine($"icl bench patching --demos {string.Join(",", demoCounts)}: {shape.Name} (seeded random weights), " +
                $"task {task.Name} ({task.Demos.Count} demonstrations cycled to each count, {task.Queries.Count} queries), " +
                $"torch threads {get_num_threads()}, batch budget {engine.BatchMemoryMb} MB");
            const int n = 2048;
            double mm;
            using (var a = randn(n, n))
            using (var b = randn(n, n))
                mm = BenchReport.GflopPerSecond(2.0 * n * n * n, BenchReport.MedianMs(3, () => { using var c = a.matmul(b); }));
            BenchReport.Line($"plain matmul {n}x{n}x{n}", $"{BenchReport.F(mm, "F0")} GFLOP/s");

            var rates = new List<(int Demos, double Rate)>();
            foreach (int count in demoCounts)
            {
                var cycledDemos = Enumerable.Range(0, count).Select(i => task.Demos[i % task.Demos.Count]).ToArray();
                var ladderTask = (task with { Demos = cycledDemos }).Validate();
                var prompts = ladderTask.BuildPrompts(model.Tokenizer);
                int tokens = prompts.CleanTokens.MaxLength;
                Console.WriteLine($"  {count} demonstrations: {prompts.Count} x {tokens} tokens");
                BenchReport.Line("  plain forward (logits at the read positions)", $"{BenchReport.F(ForwardRate(model, prompts), "F0")} GFLOP/s");
                BenchReport.CollectGarbage();
                using var rss = new RssSampler();
                using var setup = PatchingSetup.Create(model, prompts);
                var sets = chosen ?? (rates.Count == 0
                    ? new[] { PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery }
                    : [PatchTargetSet.Of(PatchTargets.ResidPre)]);
                double seconds = 0;
                foreach (var set in sets)
                {
                    var result = new FastEngine(engine).Run(setup, set, new ProgressLines(Console.Error));
                    seconds += result.Seconds;
                    double rate = result.Gflop / result.Seconds;
                    if (set == sets[0]) rates.Add((count, rate));
                    var (reference, diff) = PatchingBench.EstimateReference(setup, set, result, samples);
                    BenchReport.Line($"  fast {set.Name}",
                        $"{BenchReport.F(result.Seconds, "F1")} s, {BenchReport.F(result.Gflop / 1000, "F1")} TFLOP, " +
                        $"{BenchReport.F(rate, "F0")} GFLOP/s ({BenchReport.F(rate / mm * 100, "F0")} % of the matmul)");
                    BenchReport.Line($"  reference {set.Name} (est. from {samples} per part)",
                        $"{BenchReport.F(reference, "F0")} s ({BenchReport.F(reference / result.Seconds, "F1")}x the fast engine); " +
                        $"max |fast - reference| {BenchReport.F(diff, "E1")} nats");
                }
                if (sets.Length > 1)
                    BenchReport.Line($"  all targets ({string.Join(" + ", sets.Select(t => t.Name))})", $"{BenchReport.F(seconds, "F1")} s");
                BenchReport.Line("  peak RSS at this length", $"{BenchReport.F(rss.PeakMb, "F0")} MB");
            }
            string firstTarget = (chosen ?? [PatchTargetSet.Of(PatchTargets.ResidPre)])[0].Name;
            string relativeRates = string.Join(", ", rates.Select(r => $"{r.Demos}: {BenchReport.F(r.Rate / rates[0].Rate * 100, "F0")} %"));
            BenchReport.Line($"{firstTarget} rate vs {rates[0].Demos} demonstrations", relativeRates);
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }

    /// <summary>GFLOP/s of one forward of the clean prompts with logits at the read positions (median of 3).</summary>
    private static double ForwardRate(HookedTransformer model, IclPromptSet prompts)
    {
        var cfg = model.Config;
        using var tokens = prompts.CleanTokens.ToTensor(model.ModelDevice);
        using var read = tensor(prompts.CleanTokens.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
        int batch = prompts.Count, pos = prompts.CleanTokens.MaxLength;
        double flop = FlopCount.Blocks(cfg, (double)batch * pos, pos / 2.0, cfg.NLayers) + FlopCount.Unembed(cfg, batch);
        using var noGrad = no_grad();
        return BenchReport.GflopPerSecond(flop, BenchReport.MedianMs(3, () =>
        {
            using var s = NewDisposeScope();
            model.Run(tokens, new ForwardOptions { UnembedPositions = read });
        }));
    }
}
