using System.CommandLine;
using System.Globalization;
using IclNotebook.Studies;
using IclNotebook.Loading;
using IclNotebook.Progress;
using IclNotebook.Toy;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl train-toy</c>: train the toy in-context model and write it as a Hugging Face GPT-2 folder.</summary>
internal static class TrainToyCommand
{
    public static Command Create()
    {
        var d = new ToyTrainingOptions();
        var outDir = new Option<string>("--out")
        {
            Description = "the model folder to write (config.json, model.safetensors, training.json, README.md)",
            Required = true,
            HelpName = "DIR",
        };
        var steps = CliOptions.PositiveInt("--steps", $"optimiser steps (default {d.Steps})", d.Steps);
        var batch = CliOptions.PositiveInt("--batch", $"sequences per step (default {d.BatchSize})", d.BatchSize);
        var seed = CliOptions.PositiveInt("--seed", $"seed of the weights and the data (default {d.Seed})", (int)d.Seed);
        var layers = CliOptions.PositiveInt("--layers", $"transformer blocks (default {d.Layers})", d.Layers);
        var heads = CliOptions.PositiveInt("--heads", $"heads per layer (default {d.Heads})", d.Heads);
        var dModel = CliOptions.PositiveInt("--d-model", $"residual width (default {d.DModel})", d.DModel);
        var dMlp = CliOptions.PositiveInt("--d-mlp", $"MLP width (default {d.DMlp})", d.DMlp);
        var context = CliOptions.PositiveInt("--context", $"n_positions (default {d.Context})", d.Context);
        var minDemos = CliOptions.PositiveInt("--min-demos", $"fewest demonstrations in a training sequence (default {d.MinDemos})", d.MinDemos);
        var maxDemos = CliOptions.PositiveInt("--max-demos", $"most demonstrations in a training sequence (default {d.MaxDemos})", d.MaxDemos);
        var blankLines = new Option<int>("--blank-lines")
        {
            Description = "most blank lines before a training batch's first demonstration, " +
                $"so no demonstration has a fixed position (default {d.BlankLines})",
            HelpName = "N",
            DefaultValueFactory = _ => d.BlankLines,
        };
        var negatives = new Option<int>("--negatives")
        {
            Description = $"other vocabulary tokens the training softmax ranks the answer against (default {d.Negatives}; " +
                "50257 for the full softmax; held-out accuracy is always over the full vocabulary)",
            HelpName = "N",
            DefaultValueFactory = _ => d.Negatives,
        };
        var stopAt = new Option<double>("--stop-at")
        {
            Description = "end early at the first measurement with the most demonstrations reached and held-out accuracy at least this; " +
                $"0 runs every step (default {d.StopAt.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => d.StopAt,
        };
        var evalEvery = CliOptions.PositiveInt("--eval-every", $"measure held-out accuracy every N steps (default {d.EvalEvery})", d.EvalEvery);
        var heldOut = CliOptions.PositiveInt("--held-out", $"held-out sequences per measurement (default {d.HeldOut})", d.HeldOut);
        var lr = new Option<double>("--lr")
        {
            Description = $"peak learning rate (default {d.LearningRate.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => d.LearningRate,
        };
        var repeats = new Option<double>("--repeats")
        {
            Description = "chance a training demonstration repeats an earlier input, making its label a target too " +
                $"(default {d.Repeats.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => d.Repeats,
        };
        var advanceAt = new Option<double>("--advance-at")
        {
            Description = "curriculum: one more demonstration per sequence each time the running training accuracy reaches this " +
                $"(default {d.AdvanceAt.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => d.AdvanceAt,
        };
        var dtype = CliOptions.Choice("--dtype", "weights dtype", "element type of model.safetensors: f16 halves the file (default f16)", "f16",
            ["f16", "f32"]);
        var threads = CliOptions.PositiveInt("--threads", "torch threads (default 2: the shipped model's; results depend on it)", 2);
        var force = new Option<bool>("--force") { Description = "replace an existing --out folder" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress bar (the curve is still printed)" };
        var command = new Command("train-toy", """
            Train a small GPT-2 (GPT-2's tokenizer and vocabulary) on in-context associative recall:
            demonstrations 'input label' (one per line), a fresh random mapping per sequence, a query repeating one
            demonstration's input. Prints the loss and held-out accuracy as it trains, then writes an ordinary
            Hugging Face GPT-2 folder that --model reads, with training.json and a model card measured on
            the written weights. Seeded (data and initial weights); long runs of one seed agree closely, not bit for bit.
            """)
        {
            outDir, steps, batch, seed, layers, heads, dModel, dMlp, context, minDemos, maxDemos, blankLines, repeats, advanceAt,
            negatives, lr, stopAt, evalEvery, heldOut, dtype, threads, force, quiet,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new ToyTrainingOptions
            {
                Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), Seed = (ulong)parse.GetValue(seed),
                Layers = parse.GetValue(layers), Heads = parse.GetValue(heads), DModel = parse.GetValue(dModel), DMlp = parse.GetValue(dMlp),
                Context = parse.GetValue(context), MinDemos = parse.GetValue(minDemos), MaxDemos = parse.GetValue(maxDemos),
                Repeats = parse.GetValue(repeats), AdvanceAt = parse.GetValue(advanceAt), BlankLines = parse.GetValue(blankLines),
                Negatives = parse.GetValue(negatives), StopAt = parse.GetValue(stopAt),
                LearningRate = parse.GetValue(lr), EvalEvery = parse.GetValue(evalEvery), HeldOut = parse.GetValue(heldOut),
            }.Validate();
            string folder = parse.GetValue(outDir)!;
            bool replace = parse.GetValue(force);
            OutputFolder.CheckTarget(folder, replace);
            int n = parse.GetValue(threads);
            set_num_threads(n);
            var words = parse.Tokens.Select(t => t.Value.Contains(' ', StringComparison.Ordinal) ? $"'{t.Value}'" : t.Value);
            string line = "icl " + string.Join(" ", words);
            var record = await TerminalProgress.RunAsync(parse.GetValue(quiet), progress => Task.Run(() =>
            {
                using var run = ToyTrainer.Train(options, progress, new Immediate(), ct);
                return ToyModelFolder.Write(run, folder, replace, line, n,
                    parse.GetValue(dtype) == "f32" ? SafetensorsDType.F32 : SafetensorsDType.F16, progress);
            }, ct)).ConfigureAwait(false);
            var a = record.Shipped;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Trained in {record.Seconds:F0} s. Written weights, {a.Sequences} held-out sequences: accuracy {100 * a.Accuracy:F1}%; " +
                $"labels swapped: follows the swap {100 * a.CorruptedFollows:F1}%."));
            Console.WriteLine(Path.GetFullPath(folder));
            return 0;
        });
        return command;
    }

    /// <summary>Prints each curve point as it comes (Progress&lt;T&gt; would post it to a thread pool, out of order with the bar).</summary>
    private sealed class Immediate : IProgress<ToyTrainingPoint>
    {
        public void Report(ToyTrainingPoint value) => Console.WriteLine(value);
    }
}
