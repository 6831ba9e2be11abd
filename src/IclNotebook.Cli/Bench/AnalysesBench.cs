using System.Diagnostics;
using IclNotebook.Anchors;
using IclNotebook.FunctionVectors;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench fv</c> and <c>icl bench anchors</c>: the function-vector AIE grid and the anchors
/// saliency on seeded random weights of a real model's shape (<see cref="BenchShape"/>), timed with
/// peak RSS, against the straightforward reference (one prompt, one head or layer, one forward at a
/// time; <see cref="ReferenceIndirectEffects"/>, <see cref="ReferenceSaliency"/>), whose full time is
/// estimated from a seeded random sample that also cross-checks the numbers.
/// </summary>
public static class AnalysesBench
{
    /// <param name="prompts">For a dataset task, how many prompts to sample (null: the task's).</param>
    /// <param name="meanPrompts">For 'fv' on a dataset task, the heads' means over this many other prompts (the paper's 100).</param>
    public static void Run(string which, string taskPath, int samples, BenchShape shape, int? prompts = null, int? meanPrompts = null)
    {
        var task = Sampled(IclTask.Load(taskPath), prompts);
        RandomCheckpoint.InTemporaryFolder(shape, $"{which}", (folder, _) =>
        {
            var processing = which == "anchors" ? WeightProcessing.Raw : WeightProcessing.Default;
            using var model = ModelLoader.LoadFolder(folder, processing);
            var cfg = model.Config;
            var prompts = task.BuildPrompts(model.Tokenizer);
            Console.WriteLine($"icl bench {which}: {shape.Name} " +
                              $"(seeded random weights: {cfg.NLayers} layers x {cfg.NHeads} heads = {cfg.NLayers * cfg.NHeads} heads, " +
                              $"d_model {cfg.DModel}, {processing} weights), " +
                              $"task {task.Name} ({prompts.Count} x {prompts.CleanTokens.MaxLength} tokens), torch threads {get_num_threads()}");
            BenchReport.CollectGarbage();
            if (which == "fv") FunctionVectors(model, task, prompts, samples, new FunctionVectorOptions { MeanPrompts = meanPrompts });
            else Anchors(model, task, prompts, samples);
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }

    /// <summary>A dataset task with <paramref name="prompts"/> sampled prompts (null: as it is).</summary>
    internal static IclTask Sampled(IclTask task, int? prompts) => prompts is not { } n ? task :
        Icl.Datasets.DatasetTask.Resample(task, (task.Origin ?? throw new IclException(
            $"--prompts samples a dataset task; '{task.Name}' is hand-written.")).Sampling with { Prompts = n });

    private static void FunctionVectors(HookedTransformer model, IclTask task, IclPromptSet prompts, int samples, FunctionVectorOptions options)
    {
        var cfg = model.Config;
        double peak;
        FunctionVectorResult result;
        var clock = Stopwatch.StartNew();
        using (var rss = new RssSampler())
        {
            result = FunctionVectorAnalysis.Run(model, task, options, new ProgressLines(Console.Error));
            peak = rss.PeakMb;
        }
        double full = clock.Elapsed.TotalSeconds;
        BenchReport.Line("function vectors, whole protocol",
            $"{BenchReport.F(full, "F2")} s (means over {options.MeanPrompts ?? prompts.Count} prompts, " +
            $"AIE grid of {cfg.NLayers * cfg.NHeads} heads x {prompts.Count} prompts, " +
            $"vector, zero-shot at {cfg.NLayers} layers)");
        BenchReport.Line("  AIE grid alone", $"{BenchReport.F(result.Grid.Seconds, "F2")} s");
        BenchReport.Line("  peak RSS during the protocol", $"{BenchReport.F(peak, "F0")} MB");

        // The reference: one full forward of one corrupted prompt per (prompt, layer, head); a sample of
        // heads, each over every prompt, gives its time and cross-checks the grid.
        using var scope = NewDisposeScope();
        var means = ReferenceIndirectEffects.HeadMeans(model, FunctionVectorAnalysis.MeanPromptTokens(task, options, model.Tokenizer) ?? prompts.CleanTokens);
        var rng = new Random(12345);
        double worst = 0;
        int heads = Math.Max(1, samples / prompts.Count);
        var reference = Stopwatch.StartNew();
        for (int i = 0; i < heads; i++)
        {
            int l = rng.Next(cfg.NLayers), h = rng.Next(cfg.NHeads);
            double mean = Enumerable.Range(0, prompts.Count)
                .Average(b => ReferenceIndirectEffects.Probability(model, prompts.CorruptedTokens.Ids[b], prompts.AnswerTokenIds[b],
                    l, h, means[l, h]));
            worst = Math.Max(worst, Math.Abs(mean - result.Grid.Values[l * cfg.NHeads + h]));
        }
        double perForward = reference.Elapsed.TotalSeconds / (heads * prompts.Count);
        double estimate = perForward * prompts.Count * cfg.NLayers * cfg.NHeads;
        BenchReport.Line($"reference AIE grid (estimated from {heads * prompts.Count} forwards)",
            $"{BenchReport.F(estimate, "F0")} s ({BenchReport.F(perForward * 1000, "F0")} ms per prompt x head)");
        BenchReport.Line("speed-up of the AIE grid", $"{BenchReport.F(estimate / result.Grid.Seconds)}x");
        BenchReport.Line("max |batched - reference| mean P(answer), sampled heads", BenchReport.F(worst, "E1"));
    }

    private static void Anchors(HookedTransformer model, IclTask task, IclPromptSet prompts, int samples)
    {
        var cfg = model.Config;
        double peak;
        AnchorsResult result;
        var clock = Stopwatch.StartNew();
        using (var rss = new RssSampler())
        {
            result = AnchorsAnalysis.Run(model, task, prompts);
            peak = rss.PeakMb;
        }
        double batched = clock.Elapsed.TotalSeconds;
        BenchReport.Line("anchors saliency, every layer and prompt",
            $"{BenchReport.F(batched, "F2")} s ({prompts.Count} prompts, one forward + backward per 1024 padded tokens, flows of {cfg.NLayers} layers)");
        BenchReport.Line("  peak RSS during the saliency", $"{BenchReport.F(peak, "F0")} MB");

        // The reference: one forward + backward per (prompt, layer), the paper's ones-weight gradient.
        var rng = new Random(12345);
        double worst = 0;
        int n = Math.Max(1, samples);
        var reference = Stopwatch.StartNew();
        for (int i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            int b = rng.Next(prompts.Count), l = rng.Next(cfg.NLayers);
            var ids = prompts.CleanTokens.Ids[b];
            var (saliency, _) = ReferenceSaliency.OneLayer(model, ids, prompts.AnswerTokenIds[b], l);
            var flat = saliency.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            var matrix = new float[ids.Length, ids.Length];
            Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(float));
            var flow = InformationFlow.Of(matrix, result.LabelPositions[b], ids.Length - 1);
            var got = result.PerPrompt[b][l];
            var errors = new[] { flow.TextToLabel - got.TextToLabel, flow.LabelToTarget - got.LabelToTarget, flow.Other - got.Other };
            worst = Math.Max(worst, errors.Max(Math.Abs));
        }
        double perPass = reference.Elapsed.TotalSeconds / n;
        double estimate = perPass * prompts.Count * cfg.NLayers;
        BenchReport.Line($"reference saliency (estimated from {n} passes)",
            $"{BenchReport.F(estimate, "F1")} s ({BenchReport.F(perPass * 1000, "F0")} ms per prompt x layer)");
        BenchReport.Line("speed-up of the saliency", $"{BenchReport.F(estimate / batched)}x");
        BenchReport.Line("max |batched - reference| flow, sampled layers", BenchReport.F(worst, "E1"));
    }
}
