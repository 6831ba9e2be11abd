using System.Globalization;
using System.Text;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Statistics;
using IclNotebook.Studies;
using IclNotebook.TaskVectors;

namespace IclNotebook.Toy;

/// <summary>One task of the task toy measured on its written weights by the kit's task-vector analysis (every layer).</summary>
/// <param name="Task">The task file's name.</param>
/// <param name="InContext">Exact match with the demonstrations.</param>
/// <param name="ZeroShot">Exact match of the query alone.</param>
/// <param name="Layers">Exact match of the query alone with the task vector of each layer patched in, layer 0 first.</param>
public sealed record TaskToyMeasurement(string Task, Interval InContext, Interval ZeroShot, IReadOnlyList<Interval> Layers);

/// <summary>What the task toy's folder records about itself (<c>training.json</c>).</summary>
/// <param name="Command">The command line that trained it.</param>
/// <param name="Options">The training settings.</param>
/// <param name="Seconds">Training time (measurements excluded).</param>
/// <param name="Threads">Torch threads used.</param>
/// <param name="Curve">The training curve.</param>
/// <param name="Shipped">Each task measured on the written weights, read back the way every user reads them.</param>
/// <param name="WeightsDType">The weights file's element type.</param>
public sealed record TaskToyRecord(string Command, TaskToyOptions Options, double Seconds, int Threads, IReadOnlyList<TaskToyPoint> Curve,
    IReadOnlyList<TaskToyMeasurement> Shipped, string WeightsDType);

/// <summary>
/// Writes a trained task toy as a Hugging Face GPT-2 folder (config.json, model.safetensors) with its record
/// (training.json) and a model card (README.md), all or nothing; the record's numbers are the kit's task-vector analysis
/// of each task file on the folder's own weights.
/// </summary>
public static class TaskToyFolder
{
    /// <summary>Writes <paramref name="run"/>'s model to <paramref name="folder"/> and returns its record.</summary>
    public static TaskToyRecord Write(TaskToyRun run, string folder, bool force, string command, int threads,
        SafetensorsDType dtype = SafetensorsDType.F16, IProgress<Progress.WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        TaskToyRecord? record = null;
        OutputFolder.Write(folder, force, temp =>
        {
            progress?.Report(Progress.WorkProgress.Stage("write and measure the checkpoint"));
            Gpt2CheckpointWriter.WriteFiles(run.Model, temp, dtype, new Dictionary<string, string> { ["trained_by"] = command });
            using var shipped = ModelLoader.LoadFolder(temp, name: Path.GetFileName(Path.GetFullPath(folder)));
            var measured = run.Options.Tasks.Select(name =>
            {
                var task = IclTask.Load(TaskFiles.Resolve(name));
                var result = TaskVectorAnalysis.Run(shipped, task);
                return new TaskToyMeasurement(task.Name, result.IclAccuracy, result.ZeroShotAccuracy, result.Layers.Select(l => l.Accuracy).ToArray());
            }).ToArray();
            record = new TaskToyRecord(command, run.Options, run.Seconds, threads, run.Curve, measured, dtype.ToString());
            File.WriteAllText(Path.Combine(temp, "training.json"), OutputFolder.Json(record));
            File.WriteAllText(Path.Combine(temp, "README.md"), Card(record, Path.GetFileName(Path.GetFullPath(folder))));
        });
        return record!;
    }

    /// <summary>The model card: what the model is, the command that made it, and what it measured.</summary>
    public static string Card(TaskToyRecord record, string name)
    {
        ArgumentNullException.ThrowIfNull(record);
        var o = record.Options;
        var ci = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(ci, $"# {name}");
        s.AppendLine();
        s.AppendLine(ci, $"A {o.Layers}-layer GPT-2 ({o.Heads} heads, d_model {o.DModel}, d_mlp {o.DMlp}, context {o.Context}, GPT-2's " +
            $"tokenizer and vocabulary) trained by IclNotebook on fixed mappings ({string.Join(", ", o.Tasks)}): demonstrations " +
            $"`input -> label`, one per line, then `input ->`. The label sets are disjoint, and only the demonstrations say which " +
            $"mapping a prompt asks for.");
        s.AppendLine(ci, $"Beside the in-context loss, a task-vector loss (weight {o.VectorWeight}) trained hook_resid_pre of layer " +
            $"{o.VectorLayer} at the last token to carry the task: the query alone, with that vector from its demonstrations and a dummy " +
            $"query written in, must answer (Hendel et al. 2023's patch; the loss after Yang et al. 2025's task-vector prompting loss).");
        s.AppendLine();
        s.AppendLine("Made with:");
        s.AppendLine();
        s.AppendLine("```");
        s.AppendLine(record.Command);
        s.AppendLine("```");
        s.AppendLine();
        s.AppendLine(ci, $"Seed {o.Seed}, {o.Steps} steps of {o.BatchSize} sequences ({o.MinDemos}-{o.MaxDemos} demonstrations, up to " +
            $"{o.BlankLines} blank lines, dummy repeats a demonstration {o.DummyRepeats:P0}, {o.Negatives} sampled competitors), AdamW lr " +
            $"{o.LearningRate} (warm-up {o.WarmupSteps}, cosine to a tenth), weight decay {o.WeightDecay}, {record.Threads} threads: " +
            $"{record.Seconds:F0} s of training.");
        s.AppendLine();
        s.AppendLine(ci, $"Measured on these weights ({record.WeightsDType}) by `icl task-vectors` (exact match of the generated answer, " +
            $"95% bootstrap intervals over each task file's prompts):");
        s.AppendLine();
        s.AppendLine("| task | in context | zero-shot | " + string.Join(" | ", Enumerable.Range(0, o.Layers).Select(l => $"vector of layer {l}")) + " |");
        s.AppendLine("|---|---:|---:|" + string.Concat(Enumerable.Repeat("---:|", o.Layers)));
        static string P(Interval i) => string.Create(CultureInfo.InvariantCulture, $"{100 * i.Mean:F1}% [{100 * i.Low:F0}, {100 * i.High:F0}]");
        foreach (var m in record.Shipped)
            s.AppendLine($"| {m.Task} | {P(m.InContext)} | {P(m.ZeroShot)} | " + string.Join(" | ", m.Layers.Select(P)) + " |");
        s.AppendLine();
        s.AppendLine("Training curve (the same analysis at the trained layer, float32 weights, mean over the tasks):");
        s.AppendLine();
        s.AppendLine("| step | loss | vector loss | in context | zero-shot | task vector | seconds |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in record.Curve)
            s.AppendLine(ci, $"| {p.Step} | {p.Loss:F3} | {p.VectorLoss:F3} | {100 * p.InContext:F1}% | {100 * p.ZeroShot:F1}% | " +
                $"{100 * p.Vector:F1}% | {p.Elapsed:F0} |");
        return s.ToString();
    }
}
