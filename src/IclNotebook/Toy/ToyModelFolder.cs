using System.Globalization;
using System.Text;
using IclNotebook.Studies;
using IclNotebook.Loading;
using IclNotebook.Model;

namespace IclNotebook.Toy;

/// <summary>
/// What a toy model's folder records about itself (<c>training.json</c>): how it was made and how
/// the written weights do, measured after reading the folder back the way every user reads it.
/// </summary>
/// <param name="Command">The command line that trained it.</param>
/// <param name="Options">The training settings.</param>
/// <param name="Seconds">Training time (held-out measurements excluded).</param>
/// <param name="Threads">Torch threads used.</param>
/// <param name="Curve">The training curve.</param>
/// <param name="HeldOutSeenInTraining">Training sequences equal to a held-out one.</param>
/// <param name="Shipped">
/// The written weights on held-out sequences of the task's demonstration count (read back with
/// TransformerLens's default processing).
/// </param>
/// <param name="ShippedByDemos">The written weights' held-out accuracy per demonstration count trained on.</param>
/// <param name="WeightsDType">The weights file's element type.</param>
public sealed record ToyModelRecord(string Command, ToyTrainingOptions Options, double Seconds, int Threads, IReadOnlyList<ToyTrainingPoint> Curve,
    int HeldOutSeenInTraining, RecallAccuracy Shipped, IReadOnlyDictionary<int, double> ShippedByDemos, string WeightsDType);

/// <summary>
/// Writes a trained toy model as a Hugging Face GPT-2 folder (config.json, model.safetensors) with
/// its record (training.json) and a model card (README.md), all or nothing. The record's
/// accuracies are measured on the folder's own weights, read back by <see cref="ModelLoader"/>.
/// </summary>
public static class ToyModelFolder
{
    /// <summary>Held-out sequences measured on the written weights.</summary>
    public const int ShippedSequences = 2000;

    /// <summary>Writes <paramref name="run"/>'s model to <paramref name="folder"/> and returns its record.</summary>
    public static ToyModelRecord Write(ToyTrainingRun run, string folder, bool force, string command, int threads,
        SafetensorsDType dtype = SafetensorsDType.F16, IProgress<Progress.WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ToyModelRecord? record = null;
        OutputFolder.Write(folder, force, temp =>
        {
            progress?.Report(Progress.WorkProgress.Stage("write and measure the checkpoint"));
            Gpt2CheckpointWriter.WriteFiles(run.Model, temp, dtype, new Dictionary<string, string> { ["trained_by"] = command });
            using var shipped = ModelLoader.LoadFolder(temp, name: Path.GetFileName(Path.GetFullPath(folder)));
            var task = run.Options.Task;
            var accuracy = RecallAccuracy.Measure(shipped, task, ShippedSequences);
            var byDemos = Enumerable.Range(run.Options.MinDemos, run.Options.MaxDemos - run.Options.MinDemos + 1)
                .ToDictionary(k => k, k => RecallAccuracy.Measure(shipped, task with { Demos = k }, 256).Accuracy);
            record = new ToyModelRecord(command, run.Options, run.Seconds, threads, run.Curve, run.HeldOutSeenInTraining,
                accuracy, byDemos, dtype.ToString());
            File.WriteAllText(Path.Combine(temp, "training.json"), OutputFolder.Json(record));
            File.WriteAllText(Path.Combine(temp, "README.md"), Card(record, Path.GetFileName(Path.GetFullPath(folder)), run.Model.Config));
        });
        return record!;
    }

    /// <summary>The model card: what the model is, the command that made it, and what it measured.</summary>
    public static string Card(ToyModelRecord record, string name, ModelConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(cfg);
        var o = record.Options;
        var ci = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(ci, $"# {name}");
        s.AppendLine();
        s.AppendLine(ci, $"A {cfg.NLayers}-layer GPT-2 ({cfg.NHeads} heads, d_model {cfg.DModel}, d_mlp {cfg.DMlp}, " +
            $"context {cfg.NCtx}, GPT-2's tokenizer and");
        s.AppendLine("vocabulary) trained by IclNotebook on in-context associative recall: demonstrations `input label` (one per line) with a fresh");
        s.AppendLine(ci, $"random mapping per sequence ({o.Task.Inputs.Count} inputs, labels {string.Join(", ", o.Task.Labels)}), " +
            $"then a query repeating one demonstration's input.");
        s.AppendLine("Only the context says the answer, so the model has to read it.");
        s.AppendLine();
        s.AppendLine("Made with:");
        s.AppendLine();
        s.AppendLine("```");
        s.AppendLine(record.Command);
        s.AppendLine("```");
        s.AppendLine();
        int ran = record.Curve[^1].Step;
        string stopped = ran < o.Steps
            ? string.Create(ci, $", stopped at step {ran} of the {o.Steps}-step schedule (held-out accuracy reached {o.StopAt:P0})")
            : "";
        s.AppendLine(ci, $"Seed {o.Seed}, {ran} steps of {o.BatchSize} sequences ({o.MinDemos}-{o.MaxDemos} demonstrations, " +
            $"curriculum bar {o.AdvanceAt}, up to {o.BlankLines} blank lines, repeats {o.Repeats}, {o.Negatives} sampled competitors), " +
            $"AdamW lr {o.LearningRate} (warm-up {o.WarmupSteps}, cosine to a tenth), weight decay {o.WeightDecay}{stopped}, " +
            $"{record.Threads} threads: {record.Seconds:F0} s of training.");
        s.AppendLine();
        var a = record.Shipped;
        s.AppendLine(ci, $"Measured on these weights ({record.WeightsDType}), {a.Sequences} held-out sequences of {o.Task.Demos} demonstrations " +
            $"(seeds from 2^62, never drawn in training; {record.HeldOutSeenInTraining} training sequences equal a held-out one):");
        s.AppendLine();
        s.AppendLine(ci, $"- accuracy {100 * a.Accuracy:F1}% (chance {100.0 / o.Task.Labels.Count:F0}%), mean loss {a.Loss:F3} nats");
        s.AppendLine(ci, $"- demonstrations' labels swapped (each label to the next): answers the swapped label {100 * a.CorruptedFollows:F1}%, " +
            $"the clean answer {100 * a.CorruptedAccuracy:F1}%");
        string byDemos = string.Join(", ", record.ShippedByDemos.Select(kv => string.Create(ci, $"{kv.Key}: {100 * kv.Value:F1}%")));
        s.AppendLine(ci, $"- accuracy by number of demonstrations: {byDemos}");
        s.AppendLine();
        s.AppendLine("Training curve (held-out accuracy while training, float32 weights):");
        s.AppendLine();
        s.AppendLine("| step | loss | most demos | held-out accuracy | seconds |");
        s.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var p in record.Curve)
            s.AppendLine(ci, $"| {p.Step} | {p.Loss:F3} | {p.MostDemos} | {100 * p.HeldOutAccuracy:F1}% | {p.Elapsed:F0} |");
        return s.ToString();
    }
}
