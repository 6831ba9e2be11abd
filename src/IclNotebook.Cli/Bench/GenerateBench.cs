using IclNotebook.Generation;
using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench generate</c>: greedy generation's tokens per second with the key/value cache and without it (a whole
/// forward per token), side by side in one run, at batch 1 and 8, on seeded random weights of a real shape (GPT-2 small by
/// default); the two runs' tokens are compared too (they must be equal).
/// </summary>
public static class GenerateBench
{
    private const int PromptTokens = 64, NewTokens = 64;

    public static void Run(int runs, BenchShape shape, ModelDType dtype, IReadOnlyList<int> batches)
    {
        Console.WriteLine($"icl bench generate: {shape.Name} (seeded random weights) in {OptionNames.Name(dtype)}, " +
            $"prompts of {PromptTokens - 12}-{PromptTokens} tokens, {NewTokens} new tokens greedy, torch threads {get_num_threads()}, " +
            $"{runs} timed runs each, medians");
        RandomCheckpoint.InTemporaryFolder(shape, "generate", (folder, _) =>
        {
            using var model = ModelLoader.LoadFolder(folder, dtype: dtype);
            var random = new Random(1);
            foreach (int batch in batches)
            {
                // Prompts of different lengths (the longest PromptTokens), so the cache's left padding is part of the work.
                var prompts = Enumerable.Range(0, batch)
                    .Select(b => Enumerable.Range(0, PromptTokens - 4 * (b % 4)).Select(_ => random.Next(model.Config.DVocab)).ToArray()).ToArray();
                var options = new GenerationOptions { MaxNewTokens = NewTokens, StopAtEos = false, BatchSize = batch };
                IReadOnlyList<Completion>? cached = null, reference = null;
                double cachedMs = BenchReport.MedianMs(runs, () => cached = model.Generate(prompts, options));
                double referenceMs = BenchReport.MedianMs(Math.Min(runs, 3),
                    () => reference = model.Generate(prompts, options with { UseCache = false }));
                bool same = cached!.Select(c => c.Tokens).Zip(reference!.Select(c => c.Tokens)).All(p => p.First.SequenceEqual(p.Second));
                double tokens = (double)batch * NewTokens;
                BenchReport.Line($"batch {batch}, with the cache",
                    $"{BenchReport.F(cachedMs, "F0")} ms, {BenchReport.F(tokens / (cachedMs / 1000), "F1")} tokens/s");
                BenchReport.Line($"batch {batch}, a whole forward per token",
                    $"{BenchReport.F(referenceMs, "F0")} ms, {BenchReport.F(tokens / (referenceMs / 1000), "F1")} tokens/s");
                BenchReport.Line($"batch {batch}, speed-up of the cache",
                    $"{BenchReport.F(referenceMs / cachedMs, "F1")}x; tokens {(same ? "equal" : "DIFFER")} token for token");
            }
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }
}
