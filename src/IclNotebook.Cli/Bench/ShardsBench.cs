using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Patching;
using IclNotebook.Progress;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench shards</c>: the seed analysis (resid_pre + attn_head_all_pos_every, fast engine) on
/// seeded random weights of a real shape, unsplit and then as N shards one after another in this
/// process, each shard with its own setup (baselines and caches, as a shard on its own machine
/// computes them; the model is loaded once). Reports each shard's time, the longest shard against
/// the unsplit run (what N machines would take), the cost model's balance (longest/shortest shard)
/// and that the merged values equal the unsplit ones.
/// </summary>
public static class ShardsBench
{
    public static void Run(string taskPath, int shards, BenchShape shape)
    {
        var task = IclTask.Load(taskPath);
        RandomCheckpoint.InTemporaryFolder(shape, "shards", (folder, _) =>
        {
            using var model = ModelLoader.LoadFolder(folder);
            var prompts = task.BuildPrompts(model.Tokenizer);
            var sets = new[] { PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery };
            Console.WriteLine($"icl bench shards: {shape.Name} (seeded random weights), " +
                $"task {task.Name} ({prompts.Count} x {prompts.CleanTokens.MaxLength} tokens), " +
                $"seed analysis in {shards} shards, torch threads {TorchSharp.torch.get_num_threads()}");

            var (whole, wholeSeconds) = Timed(() =>
            {
                using var setup = PatchingSetup.Create(model, prompts);
                return sets.Select(set => new FastEngine().Run(setup, set, new ProgressLines(Console.Error))).ToList();
            });
            BenchReport.Line("unsplit (setup + both targets)", $"{BenchReport.F(wholeSeconds, "F1")} s");

            var parts = new List<(List<PatchResultShard> Results, double Seconds)>();
            for (int k = 0; k < shards; k++)
            {
                var shard = new PatchShard(k, shards);
                var part = Timed(() =>
                {
                    using var setup = PatchingSetup.Create(model, prompts);
                    return sets.Select(set => new FastEngine().RunShard(setup, set, shard, new ProgressLines(Console.Error))).ToList();
                });
                parts.Add((part.Value, part.Seconds));
                BenchReport.Line($"shard {shard}",
                    $"{BenchReport.F(part.Seconds, "F1")} s, {part.Value.Sum(r => r.Indices.Count)} cells, " +
                    $"{BenchReport.F(part.Value.Sum(r => r.Gflop), "F0")} GFLOP (estimated)");
            }
            double longest = parts.Max(p => p.Seconds), shortest = parts.Min(p => p.Seconds);
            BenchReport.Line("longest shard / unsplit",
                $"{BenchReport.F(longest / wholeSeconds, "F2")} ({BenchReport.F(longest, "F1")} s vs {BenchReport.F(wholeSeconds, "F1")} s)");
            BenchReport.Line("balance, longest / shortest shard", BenchReport.F(longest / shortest, "F2"));
            BenchReport.Line("shards' total / unsplit (the cost of splitting)", BenchReport.F(parts.Sum(p => p.Seconds) / wholeSeconds, "F2"));
            for (int t = 0; t < sets.Length; t++)
            {
                var merged = PatchResult.Merge(parts.Select(p => p.Results[t]).ToList());
                int differ = Enumerable.Range(0, merged.Values.Count).Count(i => merged.Values[i] != whole[t].Values[i]);
                double worst = Enumerable.Range(0, merged.Values.Count).Max(i => Math.Abs(merged.Values[i] - whole[t].Values[i]));
                string comparison = differ == 0
                    ? $"all {merged.Values.Count} values bitwise equal"
                    : $"{differ} of {merged.Values.Count} values differ, by at most {BenchReport.F(worst, "E1")} nats";
                BenchReport.Line($"merged vs unsplit, {sets[t].Name}", comparison);
            }
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }

    private static (T Value, double Seconds) Timed<T>(Func<T> work)
    {
        BenchReport.CollectGarbage();
        var clock = Stopwatch.StartNew();
        var value = work();
        return (value, clock.Elapsed.TotalSeconds);
    }
}
