using System.CommandLine;
using System.Globalization;
using IclNotebook.Loading;
using IclNotebook.Studies;
using IclNotebook.Toy;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl train-task-toy</c>: train the task-vector toy and write it as a Hugging Face GPT-2 folder.</summary>
internal static class TrainTaskToyCommand
{
    public static Command Create()
    {
        var d = new TaskToyOptions();
        var ci = CultureInfo.InvariantCulture;
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
            Description = $"most blank lines before a training batch's first demonstration (default {d.BlankLines})",
            HelpName = "N",
            DefaultValueFactory = _ => d.BlankLines,
        };
        var negatives = new Option<int>("--negatives")
        {
            Description = $"other vocabulary tokens the training softmax ranks the answer against (default {d.Negatives})",
            HelpName = "N",
            DefaultValueFactory = _ => d.Negatives,
        };
        var dummyRepeats = new Option<double>("--dummy-repeats")
        {
            Description = "chance a training sequence's dummy query repeats one of its demonstrations' inputs " +
                $"(default {d.DummyRepeats.ToString(ci)})",
            DefaultValueFactory = _ => d.DummyRepeats,
        };
        var vectorLayer = CliOptions.PositiveInt("--vector-layer",
            $"the layer whose hook_resid_pre at the last token is trained to carry the task (default {d.VectorLayer})", d.VectorLayer);
        var vectorWeight = new Option<double>("--vector-weight")
        {
            Description = $"weight of the task-vector loss; 0 trains in context only (default {d.VectorWeight.ToString(ci)})",
            DefaultValueFactory = _ => d.VectorWeight,
        };
        var lr = new Option<double>("--lr")
        {
            Description = $"peak learning rate (default {d.LearningRate.ToString(ci)})",
            DefaultValueFactory = _ => d.LearningRate,
        };
        var tasks = new Option<string[]>("--tasks")
        {
            Description = $"the task files to learn, names in data/tasks or paths (default {string.Join(" ", d.Tasks)})",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "TASK",
            DefaultValueFactory = _ => d.Tasks.ToArray(),
        };
        var evalEvery = CliOptions.PositiveInt("--eval-every", $"measure the curve every N steps (default {d.EvalEvery})", d.EvalEvery);
        var dtype = CliOptions.Choice("--dtype", "weights dtype", "element type of model.safetensors: f16 halves the file (default f16)", "f16",
            ["f16", "f32"]);
        var threads = CliOptions.PositiveInt("--threads", "torch threads (default 2: the shipped model's; results depend on it)", 2);
        var force = new Option<bool>("--force") { Description = "replace an existing --out folder" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress bar (the curve is still printed)" };
        var command = new Command("train-task-toy", """
            Train a small GPT-2 (GPT-2's tokenizer and vocabulary) on fixed mappings told apart by their demonstrations
            ('input -> label' lines, then 'input ->'), with a task-vector loss that makes one layer's residual stream at the
            last token carry the task (Hendel et al. 2023's patch, trained as in Yang et al. 2025). Prints the losses and the
            task-vector analysis as it trains, then writes an ordinary Hugging Face GPT-2 folder that --model reads, with
            training.json and a model card measured on the written weights by icl task-vectors.
            """)
        {
            outDir, steps, batch, seed, layers, heads, dModel, dMlp, context, minDemos, maxDemos, blankLines, negatives, dummyRepeats,
            vectorLayer, vectorWeight, lr, tasks, evalEvery, dtype, threads, force, quiet,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new TaskToyOptions
            {
                Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), Seed = (ulong)parse.GetValue(seed),
                Layers = parse.GetValue(layers), Heads = parse.GetValue(heads), DModel = parse.GetValue(dModel), DMlp = parse.GetValue(dMlp),
                Context = parse.GetValue(context), MinDemos = parse.GetValue(minDemos), MaxDemos = parse.GetValue(maxDemos),
                BlankLines = parse.GetValue(blankLines), Negatives = parse.GetValue(negatives), DummyRepeats = parse.GetValue(dummyRepeats),
                VectorLayer = parse.GetValue(vectorLayer),
                VectorWeight = parse.GetValue(vectorWeight), LearningRate = parse.GetValue(lr), Tasks = parse.GetValue(tasks)!,
                EvalEvery = parse.GetValue(evalEvery),
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
                using var run = TaskToyTrainer.Train(options, progress, new Immediate(), ct);
                return TaskToyFolder.Write(run, folder, replace, line, n,
                    parse.GetValue(dtype) == "f32" ? SafetensorsDType.F32 : SafetensorsDType.F16, progress);
            }, ct)).ConfigureAwait(false);
            Console.WriteLine(string.Create(ci, $"Trained in {record.Seconds:F0} s. Written weights, task vector of layer {options.VectorLayer}:"));
            foreach (var m in record.Shipped)
                Console.WriteLine(string.Create(ci, $"  {m.Task}: in context {100 * m.InContext.Mean:F1}%, zero-shot {100 * m.ZeroShot.Mean:F1}%, " +
                    $"patched {100 * m.Layers[options.VectorLayer].Mean:F1}%"));
            Console.WriteLine(Path.GetFullPath(folder));
            return 0;
        });
        return command;
    }

    /// <summary>Prints each curve point as it comes.</summary>
    private sealed class Immediate : IProgress<TaskToyPoint>
    {
        public void Report(TaskToyPoint value) => Console.WriteLine(value);
    }
}
