using System.Globalization;

namespace IclNotebook.Toy;

/// <summary>
/// How <see cref="TaskToyTrainer"/> trains the task-vector toy: a small GPT-2 (GPT-2's vocabulary and tokenizer, like the
/// associative-recall toy) that learns several fixed mappings (<see cref="Tasks"/>) and must tell from the demonstrations which
/// one a prompt asks for. Beside the in-context loss, a task-vector loss (after Yang et al. 2025's task-vector prompting loss)
/// makes layer <see cref="VectorLayer"/>'s residual stream at the last token carry the task: each step also runs the query
/// alone with that vector, taken from the demonstrations and a dummy query, written over the same layer and position (Hendel
/// et al.'s patch), and scores the answer. The defaults are the shipped model's (data/models/toy-tasks-2l).
/// </summary>
public sealed record TaskToyOptions
{
    /// <summary>Transformer blocks. Default 2.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Attention heads per layer. Default 4.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Residual width. Default 64.</summary>
    public int DModel { get; init; } = 64;

    /// <summary>MLP hidden width. Default 256: the MLPs hold the mappings (four tasks of 32 inputs).</summary>
    public int DMlp { get; init; } = 256;

    /// <summary>Context (n_positions). Default 64.</summary>
    public int Context { get; init; } = 64;

    /// <summary>
    /// Optimiser steps (the learning-rate schedule's length). Default 1000: a 3,000-step run of the same settings had its task vector at
    /// 100% from its first measurement (step 250) and both losses at or below 0.001 nats from step 750.
    /// </summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Sequences per step. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Peak learning rate (linear warm-up, cosine decay to a tenth). Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW's decoupled weight decay on matrices. Default 0.01.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Steps of linear warm-up. Default 100.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Fewest demonstrations in a training sequence. Default 1.</summary>
    public int MinDemos { get; init; } = 1;

    /// <summary>Most demonstrations in a training sequence. Default 10.</summary>
    public int MaxDemos { get; init; } = 10;

    /// <summary>Most blank lines between BOS and the first demonstration, drawn per batch (no demonstration has a fixed position). Default 4.</summary>
    public int BlankLines { get; init; } = 4;

    /// <summary>
    /// Tokens besides the tasks' own that the training softmax ranks the answer against (<see cref="TrainingVocabulary"/>). Default 4096.
    /// </summary>
    public int Negatives { get; init; } = 4096;

    /// <summary>
    /// The layer whose <c>hook_resid_pre</c> at the last token the task-vector loss trains to carry the task. Default 1: after
    /// layer 0 has read the demonstrations, before layer 1 reads the query.
    /// </summary>
    public int VectorLayer { get; init; } = 1;

    /// <summary>Weight of the task-vector loss beside the in-context loss; 0 trains on the in-context loss alone. Default 1.</summary>
    public double VectorWeight { get; init; } = 1;

    /// <summary>
    /// Chance that a training sequence's dummy query repeats one of its demonstrations' inputs (drawn at random); otherwise it is a
    /// fresh input. The kit's task-vector protocol's dummy always repeats one (the first demonstration whose input differs from
    /// the query's); training on both kinds keeps the vector from depending on that. Default 0.5.
    /// </summary>
    public double DummyRepeats { get; init; } = 0.5;

    /// <summary>Seed of the initial weights and of the training sequences. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The curve is measured every this many steps (and at the end). Default 100.</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>
    /// The tasks (task files: names in data/tasks or paths), each a dataset task of one fixed mapping with the toy's templates
    /// (<c>{input} -> {label}</c>, <c>{input} -></c>); their label sets should be disjoint, so a demonstration names its task.
    /// Training draws from their datasets' pairs; the curve and the record measure the task files' own prompts.
    /// </summary>
    public IReadOnlyList<string> Tasks { get; init; } = ["toy-task-colour", "toy-task-number", "toy-task-letter", "toy-task-animal"];

    /// <summary>Throws an <see cref="IclException"/> naming the first setting that cannot work.</summary>
    public TaskToyOptions Validate()
    {
        static void Need(bool ok, string message) { if (!ok) throw new IclException(message); }
        var ci = CultureInfo.InvariantCulture;
        Need(Layers >= 2, $"--layers must be at least 2 (one to read the demonstrations, one to read the query); got {Layers}.");
        Need(Heads >= 1 && DModel >= Heads && DModel % Heads == 0, $"--d-model ({DModel}) must be a positive multiple of --heads ({Heads}).");
        Need(DMlp >= 1, $"--d-mlp must be at least 1; got {DMlp}.");
        Need(Steps >= 1, $"--steps must be at least 1; got {Steps}.");
        Need(BatchSize >= 1, $"--batch must be at least 1; got {BatchSize}.");
        Need(LearningRate > 0 && double.IsFinite(LearningRate), string.Create(ci, $"--lr must be a positive number; got {LearningRate}."));
        Need(WeightDecay >= 0, string.Create(ci, $"WeightDecay must be at least 0; got {WeightDecay}."));
        Need(WarmupSteps >= 0, $"WarmupSteps must be at least 0; got {WarmupSteps}.");
        Need(MinDemos >= 1 && MinDemos <= MaxDemos, $"--min-demos ({MinDemos}) must be between 1 and --max-demos ({MaxDemos}).");
        Need(BlankLines >= 0, $"--blank-lines must be at least 0; got {BlankLines}.");
        Need(Negatives >= 0, $"--negatives must be at least 0; got {Negatives}.");
        Need(VectorLayer >= 1 && VectorLayer < Layers,
            $"--vector-layer must be between 1 and {Layers - 1} (layer 0's stream holds only the token itself); got {VectorLayer}.");
        Need(VectorWeight >= 0 && double.IsFinite(VectorWeight), string.Create(ci, $"--vector-weight must be at least 0; got {VectorWeight}."));
        Need(DummyRepeats is >= 0 and <= 1, string.Create(ci, $"--dummy-repeats must be in [0, 1]; got {DummyRepeats}."));
        Need(EvalEvery >= 1, $"--eval-every must be at least 1; got {EvalEvery}.");
        Need(Tasks.Count >= 2, $"The toy needs at least two tasks to tell apart; got {Tasks.Count}.");
        int longest = TaskToyTokens.Length(MaxDemos, BlankLines);
        Need(longest <= Context, $"A training sequence of {MaxDemos} demonstrations after {BlankLines} blank lines is {longest} tokens, " +
            $"longer than --context {Context}; raise --context or lower --max-demos or --blank-lines.");
        return this;
    }
}
