using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Progress;

namespace IclNotebook.Studies;

/// <summary>
/// A loaded model and its task's prompts: what every study starts from, loaded by one loader. The
/// task file is read and validated once, and tokenized (labels single tokens, clean and corrupted
/// prompts aligned) before the weights are loaded or downloaded, so bad input fails first.
/// Disposing frees the model.
/// </summary>
public sealed class StudyInput : IDisposable
{
    private readonly bool _ownsModel;

    private StudyInput(HookedTransformer model, IclTask? task, IclPromptSet? prompts, string revision, bool ownsModel = true)
    {
        _ownsModel = ownsModel;
        Model = model;
        Task = task;
        Prompts = prompts;
        Revision = revision;
    }

    public HookedTransformer Model { get; }

    /// <summary>The task, if the options named one.</summary>
    public IclTask? Task { get; }

    /// <summary>The task's clean and corrupted prompts, if the options named a task.</summary>
    public IclPromptSet? Prompts { get; }

    /// <summary>The Hugging Face commit the weights came from, or "local folder PATH".</summary>
    public string Revision { get; }

    /// <summary>The prompts, or a clear error for an analysis that needs a task.</summary>
    public IclPromptSet RequirePrompts(string analysis) =>
        Prompts ?? throw new IclException($"{analysis} needs a task: pass --task FILE (tasks ship in data/tasks/).");

    /// <summary>Loads the task (validated, tokenized into clean and corrupted prompts) and then the model.</summary>
    public static Task<StudyInput> LoadAsync(StudyOptions options, IProgress<WorkProgress>? progress = null, CancellationToken ct = default) =>
        LoadAsync(options, patchingPrompts: true, progress, ct);

    /// <summary>
    /// Loads the task (validated; tokenized into clean and corrupted prompts unless <paramref name="patchingPrompts"/> is
    /// false: a study that needs no corrupted twin, such as accuracy) and then the model.
    /// </summary>
    public static async Task<StudyInput> LoadAsync(StudyOptions options, bool patchingPrompts, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var device = options.Device ?? TorchSharp.torch.CPU;
        Runtime.DTypeSpeed.Check(options.DType, device);                  // before the task, the tokenizer and any download
        IclTask? task = null;
        IclPromptSet? prompts = null;
        Tokenization.ModelTokenizer? tokenizer = null;
        if (options.TaskPath is { } path)
        {
            task = options.Sampled(IclTask.Load(path));
            progress?.Report(WorkProgress.Stage("tokenize"));
            tokenizer = await ModelSource.LoadTokenizerAsync(options.Model, options.Hub, progress, ct).ConfigureAwait(false);
            if (patchingPrompts) prompts = task.BuildPrompts(tokenizer, options.ReplayFor(task));
        }
        progress?.Report(WorkProgress.Stage("load model"));
        var (model, _, revision) = await ModelSource.LoadWithSourceAsync(options.Model, options.Processing, device, options.Hub, progress,
            tokenizer, options.DType, ct).ConfigureAwait(false);
        if (ct.IsCancellationRequested)
        {
            model.Dispose();
            ct.ThrowIfCancellationRequested();
        }
        return new StudyInput(model, task, prompts, revision);
    }

    /// <summary>
    /// The wrong answer each query is contrasted with: the label the task's label map sends the
    /// answer to; otherwise (or if the map keeps it) the next query's answer; otherwise the first
    /// other label the prompt's demonstrations use. Token ids, one per prompt: the wrong answer's first token where answers
    /// may be longer (a dataset task), skipping a wrong answer whose first token is the answer's own.
    /// </summary>
    public IReadOnlyList<int> WrongAnswers()
    {
        var prompts = RequirePrompts("A logit difference");
        var task = Task!;
        return prompts.AnswerLabels.Select((answer, i) =>
        {
            int First(string label) => task.FirstTokenAnswers
                ? Model.Tokenizer.AnswerTokens(prompts.CleanPrompts[i], task.FormatAnswer(label))[0]
                : Model.Tokenizer.AnswerToken(prompts.CleanPrompts[i], task.FormatAnswer(label));
            int right = prompts.AnswerTokenIds[i];
            string? mapped = task.Corruption is LabelMapCorruption map ? map.Map.FirstOrDefault(kv => kv.Key == answer).Value : null;
            var candidates = new[] { mapped, prompts.AnswerLabels[(i + 1) % prompts.Count] }
                .Concat(task.DemosOf(i).Select(d => d.Label)).Concat(prompts.AnswerLabels)
                .Where(l => l is not null && l != answer).Distinct();
            foreach (var wrong in candidates)
                if (First(wrong!) is var id && id != right) return id;
            throw new IclException($"Task '{task.Name}', prompt {i}: no other label starts with a different token than the answer " +
                $"'{answer}'; the logit lens's logit difference needs a second label.");
        }).ToArray();
    }

    /// <summary>
    /// An input on a model that is already loaded (a sweep runs many tasks on one): disposing it leaves the model alone.
    /// <paramref name="prompts"/> are the task's clean and corrupted prompts where the study needs them.
    /// </summary>
    public static StudyInput OnLoaded(HookedTransformer model, string revision, IclTask? task, IclPromptSet? prompts) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), task, prompts, revision, ownsModel: false);

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
