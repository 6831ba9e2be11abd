using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench model</c>: checkpoint load time, one forward of the seed batch (4 x 139 tokens) on
/// a model of a real shape (GPT-2 small by default) with seeded random weights, a plain matmul's
/// GFLOP/s in the same run, and peak RSS.
/// </summary>
public static class ModelBench
{
    public static void Run(int runs, BenchShape shape, ModelDType dtype = ModelDType.Float32)
    {
        Console.WriteLine($"icl bench model: {shape.Name} (seeded random weights) in {OptionNames.Name(dtype)}, " +
            $"torch threads {get_num_threads()}, {runs} timed runs each, medians");
        RandomCheckpoint.InTemporaryFolder(shape, "model", (folder, bytes) =>
        {
            // The peak of a first load in a settled process (what a user sees); then the median time of further loads.
            BenchReport.CollectGarbage();
            double loadPeak;
            HookedTransformer model;
            using (var rss = new RssSampler())
            {
                model = ModelLoader.LoadFolder(folder, dtype: dtype);
                loadPeak = rss.PeakMb;
            }
            double loadMs = BenchReport.MedianMs(Math.Min(runs, 3), () =>
            {
                model.Dispose();
                BenchReport.CollectGarbage();
                model = ModelLoader.LoadFolder(folder, dtype: dtype);
            });
            BenchReport.Line($"load {BenchReport.F(bytes / 1e6, "F0")} MB safetensors (TL processing)",
                $"{BenchReport.F(loadMs, "F0")} ms ({BenchReport.F(bytes / 1e6 / (loadMs / 1000), "F0")} MB/s)");
            BenchReport.Line("peak RSS while loading", $"{BenchReport.F(loadPeak, "F0")} MB");
            using var m = model;
            var cfg = m.Config;
            BenchReport.CollectGarbage();
            BenchReport.Line("RSS with the model loaded", $"{BenchReport.F(RssSampler.CurrentKb() / 1024.0, "F0")} MB");
            using var runRss = new RssSampler();

            manual_seed(1);
            const int batch = 4, pos = 139;
            using var tokens = randint(0, cfg.DVocab, [batch, pos], dtype: ScalarType.Int64);
            using var last = full([batch], pos - 1, dtype: ScalarType.Int64);
            double tokensN = batch * pos;
            double blockFlop = FlopCount.Blocks(cfg, tokensN, pos, cfg.NLayers);
            double unembedAll = FlopCount.Unembed(cfg, tokensN), unembedLast = FlopCount.Unembed(cfg, batch);

            double fullMs = BenchReport.MedianMs(runs, () => { using var s = NewDisposeScope(); m.Run(tokens); });
            double lastMs = BenchReport.MedianMs(runs, () =>
            {
                using var s = NewDisposeScope();
                m.Run(tokens, new ForwardOptions { UnembedPositions = last });
            });
            BenchReport.Line("forward 4x139, logits at every position",
                $"{BenchReport.F(fullMs, "F0")} ms, {BenchReport.F((blockFlop + unembedAll) / 1e9)} GFLOP, " +
                $"{BenchReport.F(BenchReport.GflopPerSecond(blockFlop + unembedAll, fullMs))} GFLOP/s");
            BenchReport.Line("forward 4x139, logits at the last position",
                $"{BenchReport.F(lastMs, "F0")} ms, {BenchReport.F((blockFlop + unembedLast) / 1e9)} GFLOP, " +
                $"{BenchReport.F(BenchReport.GflopPerSecond(blockFlop + unembedLast, lastMs))} GFLOP/s");

            const int n = 2048;
            using var a = randn(n, n).to(dtype.ToScalarType());
            using var b = randn(n, n).to(dtype.ToScalarType());
            double mmMs = BenchReport.MedianMs(runs, () => { using var c = a.matmul(b); });
            BenchReport.Line($"plain matmul {n}x{n}x{n}, {OptionNames.Name(dtype)} (same run)",
                $"{BenchReport.F(mmMs, "F0")} ms, {BenchReport.F(BenchReport.GflopPerSecond(2.0 * n * n * n, mmMs))} GFLOP/s");
            double forwardRate = BenchReport.GflopPerSecond(blockFlop + unembedAll, fullMs);
            double matmulRate = BenchReport.GflopPerSecond(2.0 * n * n * n, mmMs);
            BenchReport.Line("forward efficiency vs plain matmul", $"{BenchReport.F(forwardRate / matmulRate * 100, "F0")} %");
            BenchReport.Line("peak RSS while running forwards and matmuls", $"{BenchReport.F(runRss.PeakMb, "F0")} MB");
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }
}
