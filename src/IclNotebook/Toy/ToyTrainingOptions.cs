using System.Globalization;
namespace IclNotebook.Toy;

/// <summary>
/// How <see cref="ToyTrainer"/> trains the toy in-context model: the architecture (a GPT-2 with
/// GPT-2's vocabulary, so every part of the kit reads it unchanged), the optimiser (AdamW, linear
/// warm-up then cosine decay to a tenth, gradients clipped at norm 1) and the data (a fresh
/// <see cref="AssociativeRecall"/> sequence per example, the number of demonstrations drawn per
/// batch). The defaults are the shipped model's (data/models/toy-icl-2l).
/// </summary>
public sealed record ToyTrainingOptions
{
    /// <summary>Transformer blocks. Default 2 (a previous-token head, then an induction head).</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Attention heads per layer. Default 4.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Residual width. Default 64.</summary>
    public int DModel { get; init; } = 64;

    /// <summary>MLP hidden width. Default 128 (attention-heavy: the task needs no MLP).</summary>
    public int DMlp { get; init; } = 128;

    /// <summary>Context (n_positions). Default 64: room for 18 demonstrations after 8 blank lines (20 without).</summary>
    public int Context { get; init; } = 64;

    /// <summary>Optimiser steps: the learning-rate schedule's length and the most training runs (see <see cref="StopAt"/>). Default 15000.</summary>
    public int Steps { get; init; } = 15000;

    /// <summary>
    /// Training ends early at the first measurement where the curriculum has reached
    /// <see cref="MaxDemos"/> and the held-out accuracy is at least this; 0 never ends early.
    /// Default 1 (every held-out sequence right): the shipped run reached it at step 12,500 of 15,000.
    /// </summary>
    public double StopAt { get; init; } = 1;

    /// <summary>Sequences per step. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW's decoupled weight decay on matrices (not biases or norms). Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Steps of linear warm-up. Default 100.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Fewest demonstrations in a training sequence. Default 2.</summary>
    public int MinDemos { get; init; } = 2;

    /// <summary>Most demonstrations in a training sequence. Default 12.</summary>
    public int MaxDemos { get; init; } = 12;

    /// <summary>
    /// Chance that a training demonstration repeats an earlier input (<see cref="AssociativeRecall.Repeats"/>),
    /// making its label a target too. Default 0.3. Held-out sequences have none (the task file's form).
    /// </summary>
    public double Repeats { get; init; } = 0.3;

    /// <summary>
    /// Labels of the training sequences: the task's four colours and twelve more words. With only
    /// four labels, answering the context's most frequent label is right about half the time, and
    /// training sat on that plateau (48% held-out for 3,000 steps); with sixteen, counting pays
    /// little and recall is learned. Held-out sequences use the task's own labels.
    /// </summary>
    public IReadOnlyList<string> TrainingLabels { get; init; } =
        ["red", "blue", "green", "black", "white", "yellow", "orange", "purple", "pink", "brown", "gray", "silver", "dark", "bright", "hot", "cold"];

    /// <summary>
    /// The curriculum's bar (<see cref="DemoCurriculum"/>): training starts with MinDemos
    /// demonstrations per sequence, and one more is allowed each time the running training accuracy
    /// reaches this share (0: one more every step). Default 0.9.
    /// </summary>
    public double AdvanceAt { get; init; } = 0.9;

    /// <summary>
    /// Most blank lines ("\n" tokens) between BOS and the first demonstration of a training batch,
    /// drawn per batch from 0 to this. With none, the first demonstration always sits at positions
    /// 1-2 right after BOS, and the model learned to recall that one demonstration by position (100%
    /// when the query repeated it, ~30% otherwise) instead of recall anywhere. A blank line
    /// also makes the first demonstration look like the others (preceded by "\n"). Default 8.
    /// </summary>
    public int BlankLines { get; init; } = 8;

    /// <summary>
    /// Tokens besides the task's own that the training softmax ranks the answer against, a fixed
    /// seeded sample of GPT-2's vocabulary (<see cref="TrainingVocabulary"/>); 50,257 or more is the
    /// full softmax. Held-out accuracy is always over the whole vocabulary. Default 4096.
    /// </summary>
    public int Negatives { get; init; } = 4096;

    /// <summary>Seed of the initial weights and of the training sequences. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Held-out accuracy is measured every this many steps (and at the end). Default 500.</summary>
    public int EvalEvery { get; init; } = 500;

    /// <summary>Held-out sequences (seeds disjoint from training's) per measurement. Default 512.</summary>
    public int HeldOut { get; init; } = 512;

    /// <summary>The task; its <see cref="AssociativeRecall.Demos"/> is the held-out sequences' (the task file's) count.</summary>
    public AssociativeRecall Task { get; init; } = new();

    /// <summary>First seed of the held-out sequences: training seeds stay below it.</summary>
    public const ulong HeldOutSeeds = 1UL << 62;

    /// <summary>Throws an <see cref="IclException"/> naming the first setting that cannot work.</summary>
    public ToyTrainingOptions Validate()
    {
        static void Need(bool ok, string message) { if (!ok) throw new IclException(message); }
        Need(Layers >= 1, $"--layers must be at least 1; got {Layers}.");
        Need(Heads >= 1 && DModel % Heads == 0, $"--d-model ({DModel}) must be a positive multiple of --heads ({Heads}).");
        Need(DMlp >= 1, $"--d-mlp must be at least 1; got {DMlp}.");
        Need(Steps >= 1, $"--steps must be at least 1; got {Steps}.");
        Need(BatchSize >= 1, $"--batch must be at least 1; got {BatchSize}.");
        Need(LearningRate > 0 && double.IsFinite(LearningRate),
            string.Create(CultureInfo.InvariantCulture, $"--lr must be a positive number; got {LearningRate}."));
        Need(WeightDecay >= 0, string.Create(CultureInfo.InvariantCulture, $"--weight-decay must be at least 0; got {WeightDecay}."));
        Need(WarmupSteps >= 0, $"--warmup must be at least 0; got {WarmupSteps}.");
        Need(MinDemos >= 1 && MinDemos <= MaxDemos, $"--min-demos ({MinDemos}) must be between 1 and --max-demos ({MaxDemos}).");
        Need(MaxDemos <= Task.Inputs.Count,
            $"--max-demos ({MaxDemos}) must be at most the {Task.Inputs.Count} inputs (each demonstration has its own input).");
        Need(Negatives >= 0, $"--negatives must be at least 0; got {Negatives}.");
        Need(BlankLines >= 0, $"--blank-lines must be at least 0; got {BlankLines}.");
        int longest = Math.Max(RecallTokens.Length(MaxDemos, BlankLines), RecallTokens.Length(Task.Demos));
        Need(longest <= Context, $"A training sequence of {MaxDemos} demonstrations after {BlankLines} blank lines is {longest} tokens, " +
            $"longer than --context {Context}; raise --context or lower --max-demos or --blank-lines.");
        var missing = Task.Labels.Where(l => !TrainingLabels.Contains(l)).ToList();
        Need(missing.Count == 0, $"The training labels must include the task's labels; missing: {string.Join(", ", missing)}.");
        Need(AdvanceAt is >= 0 and < 1, string.Create(CultureInfo.InvariantCulture, $"--advance-at must be in [0, 1); got {AdvanceAt}."));
        Need(Repeats is >= 0 and < 1, string.Create(CultureInfo.InvariantCulture, $"--repeats must be in [0, 1); got {Repeats}."));
        Need(StopAt is >= 0 and <= 1,
            string.Create(CultureInfo.InvariantCulture, $"--stop-at must be in [0, 1] (0: never stop early); got {StopAt}."));
        Need(EvalEvery >= 1, $"--eval-every must be at least 1; got {EvalEvery}.");
        Need(HeldOut >= 1, $"--held-out must be at least 1; got {HeldOut}.");
        return this;
    }
}
