using System.Diagnostics;
using IclNotebook.Circuits;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// <c>icl bench circuit</c>: on seeded random weights of a real shape (GPT-2 small by default), the exact path-patching grid
/// of every head into every head's query, key and value input with the fast engine (measured whole with <c>--whole</c>, else on
/// every head into a random sample of inputs and scaled by the paths and layers the rest need), against the reference's time
/// estimated from one sender into a sample of inputs (which also cross-checks the numbers); then EAP and EAP-IG over the whole
/// graph (embeddings, heads and MLPs into every input and the logits), measured whole.
/// </summary>
public static class CircuitBench
{
    public static void Run(string taskPath, int samples, BenchShape shape, bool whole, int integratedGradientSteps = 10)
    {
        var task = IclTask.Load(taskPath);
        RandomCheckpoint.InTemporaryFolder(shape, "circuit", (folder, _) =>
        {
            using var model = ModelLoader.LoadFolder(folder);
            var cfg = model.Config;
            var prompts = task.BuildPrompts(model.Tokenizer);
            Console.WriteLine($"icl bench circuit: {shape.Name} (seeded random weights: {cfg.NLayers} layers x {cfg.NHeads} heads), " +
                $"task {task.Name} ({prompts.Count} x {prompts.CleanTokens.MaxLength} tokens), torch threads {get_num_threads()}");
            using var setup = PatchingSetup.Create(model, prompts);
            var senders = PathSender.Heads(cfg);
            var receivers = Enumerable.Range(0, cfg.NLayers).SelectMany(l => PathReceiver.Heads(cfg, l)).ToArray();
            int reachable = senders.Sum(s => receivers.Count(r => r.IsReachedBy(s, cfg)));

            // A path into layer L costs about the layers from L on: the work of a receiver set is its paths weighted so.
            double Work(IEnumerable<PathReceiver> set) => set.Sum(r => senders.Count(x => r.IsReachedBy(x, cfg)) * (double)(cfg.NLayers - r.Layer));
            var random = new Random(1);
            var measured = whole ? receivers : receivers.OrderBy(_ => random.Next()).Take(samples).ToArray();
            BenchReport.CollectGarbage();
            var clock = Stopwatch.StartNew();
            var fast = PathPatching.Run(setup, senders, measured);
            double fastSeconds = clock.Elapsed.TotalSeconds, fastWhole = fastSeconds * Work(receivers) / Work(measured);
            int measuredPaths = senders.Sum(x => measured.Count(r => r.IsReachedBy(x, cfg)));
            BenchReport.Line($"exact grid, fast: {senders.Count} heads x {receivers.Length} head inputs",
                whole ? $"{BenchReport.F(fastSeconds, "F1")} s ({reachable} paths exist)"
                    : $"{BenchReport.F(fastWhole, "F0")} s estimated ({reachable} paths exist; measured {BenchReport.F(fastSeconds, "F1")} s " +
                      $"on {measured.Length} random inputs, {measuredPaths} paths, scaled by paths x layers after)");

            // The reference: per sender, one frozen forward and one forward per receiver (reachable or not), timed on a sample.
            var sender = senders[senders.Count / 2];
            var reached = measured.Where(r => r.IsReachedBy(sender, cfg)).ToArray();
            var sampled = (reached.Length > 0 ? reached : measured).Take(samples).ToArray();
            clock.Restart();
            var reference = PathPatching.Run(setup, [sender], sampled, new PathPatchingOptions { Engine = PatchEngineKind.Reference });
            double perForward = clock.Elapsed.TotalSeconds / (sampled.Length + 1);
            double estimate = perForward * senders.Count * (receivers.Length + 1);
            int s = senders.ToList().IndexOf(sender);
            double worst = sampled.Select((r, j) => Math.Abs(reference.Value(0, j) - fast.Value(s, Array.IndexOf(measured, r)))).Max();
            BenchReport.Line("exact grid, reference (estimated)",
                $"{BenchReport.F(estimate, "F0")} s ({BenchReport.F(1000 * perForward, "F0")} ms per forward x {senders.Count} x {receivers.Length + 1})");
            BenchReport.Line("speed-up of the fast engine", $"{BenchReport.F(estimate / fastWhole, "F1")}x; " +
                $"{sender.Label} into {sampled.Length} sampled inputs: largest difference {worst:E1}");

            foreach (int steps in new[] { 0, integratedGradientSteps })
            {
                BenchReport.CollectGarbage();
                clock.Restart();
                var estimateGrid = EdgeAttribution.Run(setup, options: new EdgeAttributionOptions { IntegratedGradientSteps = steps });
                BenchReport.Line(steps == 0 ? "EAP, whole graph" : $"EAP-IG ({steps} steps), whole graph",
                    $"{BenchReport.F(clock.Elapsed.TotalSeconds, "F1")} s ({estimateGrid.Senders.Count} senders x {estimateGrid.Receivers.Count} receivers)");
            }
            BenchReport.Line("peak RSS of the whole process (VmHWM)", $"{BenchReport.F(BenchReport.PeakRssMb(), "F0")} MB");
        });
    }
}
