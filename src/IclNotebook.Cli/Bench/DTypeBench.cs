using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench dtype</c>: the seed analysis (resid_pre + attn_head_all_pos_every, fast engine) on one seeded random
/// checkpoint of a real shape, once per dtype, side by side in one run, each with the engine's GFLOP/s next to that
/// dtype's plain matrix product measured in the same run, and how far the dtypes' normalised grids lie apart (on random
/// weights the clean-corrupted gap is tiny, so that distance is noise, not a precision figure: the tests measure
/// precision on the toy model).
/// </summary>
public static class DTypeBench
{
    public static void Run(string taskPath, BenchShape shape, IReadOnlyList<ModelDType> dtypes)
    {
        var task = IclTask.Load(taskPath);
        RandomCheckpoint.InTemporaryFolder(shape, "dtype", (folder, _) =>
        {
            Console.WriteLine($"icl bench dtype: {shape.Name} (seeded random weights), task {task.Name}, the seed analysis with the fast " +
                $"engine in {string.Join(" and ", dtypes.Select(OptionNames.Name))}, torch threads {get_num_threads()}");
            var runs = new List<(ModelDType DType, double Seconds, IReadOnlyList<PatchResult> Results)>();
            foreach (var dtype in dtypes)
            {
                BenchReport.CollectGarbage();
                double matmul = DTypeSpeed.Gflops(dtype.ToScalarType(), CPU);
                using var model = ModelLoader.LoadFolder(folder, dtype: dtype);
                using var setup = PatchingSetup.Create(model, task.BuildPrompts(model.Tokenizer));
                var results = new[] { PatchTargetSet.Of(PatchTargets.ResidPre), PatchTargets.AttnHeadAllPosEvery }
                    .Select(set => new FastEngine().Run(setup, set)).ToList();
                double seconds = results.Sum(r => r.Seconds), gflop = results.Sum(r => r.Gflop);
                string name = OptionNames.Name(dtype);
                BenchReport.Line($"{name}: seed analysis", $"{BenchReport.F(seconds, "F1")} s, {BenchReport.F(gflop / seconds)} GFLOP/s " +
                    $"(plain 768³ matmul {BenchReport.F(matmul)} GFLOP/s); baselines {BenchReport.F(setup.CleanBaseline, "F4")} / " +
                    $"{BenchReport.F(setup.CorruptedBaseline, "F4")} nats");
                runs.Add((dtype, seconds, results));
            }
            var first = runs[0];
            foreach (var other in runs.Skip(1))
            {
                double apart = first.Results.Zip(other.Results, (a, b) => a.Values.Zip(b.Values, (x, y) => Math.Abs(x - y)).Max()).Max();
                BenchReport.Line($"{OptionNames.Name(first.DType)} / {OptionNames.Name(other.DType)}",
                    $"{BenchReport.F(first.Seconds / other.Seconds, "F2")}x the time; values apart by up to {BenchReport.F(apart, "E2")} nats");
            }
        });
    }
}
