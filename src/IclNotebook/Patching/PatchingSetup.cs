using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// A clean/corrupted pair ready for patching: tokens, the metric, both baselines and both runs'
/// activation caches (<see cref="Caches"/>). Made by <see cref="Create(HookedTransformer, IclPromptSet, MetricRead)"/>,
/// which checks the pair and runs the baselines; the engines plan their own work from it.
/// </summary>
public sealed partial class PatchingSetup : IDisposable
{
    private PatchingSetup(HookedTransformer model, TokenBatch clean, TokenBatch corrupted, AnswerMetric metric, CorruptionReplay? replay,
        Tensor cleanTokens, Tensor corruptedTokens, double[] cleanPerPrompt, double[] corruptedPerPrompt, string[] positionLabels)
    {
        Model = model;
        Clean = clean;
        Corrupted = corrupted;
        Metric = metric;
        Replay = replay;
        CleanTokens = cleanTokens;
        CorruptedTokens = corruptedTokens;
        CleanPerPrompt = cleanPerPrompt;
        CorruptedPerPrompt = corruptedPerPrompt;
        PositionLabels = positionLabels;
        Caches = new PatchingCaches(model, cleanTokens, corruptedTokens, metric);
    }

    /// <summary>
    /// The setup for a prompt set as the analysis builds it. The metric reads at each prompt's last
    /// real token (<see cref="MetricRead.LastToken"/>, the default) or at the padded batch's last
    /// column as the original Colab does (<see cref="MetricRead.LastColumn"/>), whatever replay
    /// built the prompts.
    /// </summary>
    public static PatchingSetup Create(HookedTransformer model, IclPromptSet prompts, MetricRead read = MetricRead.LastToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var metric = AnswerMetric.At(read, prompts.CleanTokens.Lengths, prompts.AnswerTokenIds);
        return Create(model, prompts.CleanTokens, prompts.CorruptedTokens, metric, prompts.Replay);
    }

    /// <summary>
    /// Checks the pair (same prompt count, equal token lengths per prompt, read positions inside
    /// the prompts) and runs both batches for the baselines. <paramref name="replay"/> only records
    /// how the corrupted prompts were built (null: given as tokens).
    /// </summary>
    public static PatchingSetup Create(HookedTransformer model, TokenBatch clean, TokenBatch corrupted, AnswerMetric metric,
            CorruptionReplay? replay = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(corrupted);
        ArgumentNullException.ThrowIfNull(metric);
        if (clean.Count != corrupted.Count)
            throw new IclException($"Patching needs as many corrupted prompts as clean ones: {clean.Count} clean, {corrupted.Count} corrupted.");
        for (int i = 0; i < clean.Count; i++)
            if (clean.Ids[i].Length != corrupted.Ids[i].Length)
                throw new IclException($"Prompt {i}: the clean prompt is {clean.Ids[i].Length} tokens " +
                    $"and the corrupted one {corrupted.Ids[i].Length}; activation patching needs the same length so positions line up.");
        if (metric.AnswerIds.Count != clean.Count || metric.ReadPositions.Count != clean.Count)
            throw new IclException($"The metric has {metric.AnswerIds.Count} answers for {clean.Count} prompts.");
        if (metric.ReadPositions.Any(p => p < 0 || p >= clean.MaxLength))
            throw new IclException($"A metric read position lies outside the prompts (0..{clean.MaxLength - 1}).");

        var cleanTokens = clean.ToTensor(model.ModelDevice).DetachFromDisposeScope();
        var corruptedTokens = corrupted.ToTensor(model.ModelDevice).DetachFromDisposeScope();
        try
        {
            var cleanPerPrompt = PerPrompt(model, metric, cleanTokens);
            var corruptedPerPrompt = PerPrompt(model, metric, corruptedTokens);
            var tokenizer = clean.Tokenizer ?? (model.HasTokenizer ? model.Tokenizer : null);
            var firstPrompt = clean.Padded()[0];
            var labels = firstPrompt.Select((id, p) => $"{p}: {(tokenizer is null ? $"[{id}]" : Display(tokenizer.Decode((int)id)))}").ToArray();
            return new PatchingSetup(model, clean, corrupted, metric, replay,
                cleanTokens, corruptedTokens, cleanPerPrompt, corruptedPerPrompt, labels);
        }
        catch
        {
            cleanTokens.Dispose();
            corruptedTokens.Dispose();
            throw;
        }
    }

    public HookedTransformer Model { get; }
    public TokenBatch Clean { get; }
    public TokenBatch Corrupted { get; }
    public AnswerMetric Metric { get; }

    /// <summary>How the corrupted prompts were built from a task; null when they were given as tokens.</summary>
    public CorruptionReplay? Replay { get; }

    /// <summary>Clean tokens, int64 [batch, pos] on the model's device.</summary>
    public Tensor CleanTokens { get; }

    /// <summary>Corrupted tokens, int64 [batch, pos] on the model's device.</summary>
    public Tensor CorruptedTokens { get; }

    /// <summary>Both runs' activations, cached on demand (<see cref="PatchingCaches.Ensure"/>).</summary>
    public PatchingCaches Caches { get; }

    private PatchingCaches? _ungroupedCaches;

    /// <summary>
    /// Whether <paramref name="target"/> runs with grouped-query attention ungrouped: a key or value
    /// target on a grouped model, so that head h's patch changes head h's copy of its group's key or
    /// value only (TransformerLens's head-patching semantics, <c>ungroup_grouped_query_attention</c>).
    /// </summary>
    public bool Ungroups(PatchTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Model.Config.Grouped && target.Activation is "k" or "v";
    }

    /// <summary>The caches <paramref name="target"/> patches from: ungrouped ones where <see cref="Ungroups"/>, else <see cref="Caches"/>.</summary>
    public PatchingCaches CachesFor(PatchTarget target) => CachesFor(ungrouped: Ungroups(target));

    /// <summary>
    /// The caches of runs with grouped-query attention ungrouped (<paramref name="ungrouped"/>, per-head keys and values) or as
    /// the model computes it; the same caches on a model without grouping.
    /// </summary>
    public PatchingCaches CachesFor(bool ungrouped) =>
        !ungrouped || !Model.Config.Grouped ? Caches
            : _ungroupedCaches ??= new PatchingCaches(Model, CleanTokens, CorruptedTokens, Metric, ungrouped: true);

    /// <summary>The model mode <paramref name="target"/>'s patched runs need (dispose to restore); null when it needs none.</summary>
    public IDisposable? ModeFor(PatchTarget target) => Ungroups(target) ? Model.UngroupGroupedQueryAttention() : null;

    /// <summary>The metric (in <see cref="AnswerMetric.Unit"/>) per prompt in the clean and corrupted runs.</summary>
    public IReadOnlyList<double> CleanPerPrompt { get; }
    public IReadOnlyList<double> CorruptedPerPrompt { get; }

    /// <summary>Mean metric of the clean and corrupted runs.</summary>
    public double CleanBaseline => CleanPerPrompt.Average();
    public double CorruptedBaseline => CorruptedPerPrompt.Average();

    /// <summary>"45: positive" per position of prompt 0 (axis labels for results).</summary>
    public IReadOnlyList<string> PositionLabels { get; }

    public int NPos => Clean.MaxLength;

    /// <summary>The metric of each prompt, the batch run in runs of prompts of at most <see cref="BaselineTokens"/> padded tokens.</summary>
    private static double[] PerPrompt(HookedTransformer model, AnswerMetric metric, Tensor tokens)
    {
        int n = (int)tokens.shape[0], rows = (int)Math.Max(1, BaselineTokens / Math.Max(1, tokens.shape[1]));
        var values = new List<double>(n);
        foreach (var (start, count) in Ranges(n, rows))
        {
            using var scope = NewDisposeScope();
            var part = metric.Rows(start, count);
            var readLogits = model.Run(tokens.narrow(0, start, count), new ForwardOptions { UnembedPositions = part.PositionsTensor(model.ModelDevice) });
            values.AddRange(part.PerPromptAtRead(readLogits).cpu().data<double>().ToArray());
        }
        return values.ToArray();
    }

    /// <summary>Padded tokens per forward of the baseline runs (their activations are not kept, only the metric).</summary>
    private const int BaselineTokens = 4096;

    /// <summary>A token as an axis label: surrounding spaces dropped, newlines visible.</summary>
    private static string Display(string token)
    {
        var shown = token.Replace("\n", "\\n", StringComparison.Ordinal).Trim(' ');
        return shown.Length == 0 ? "␣" : shown;
    }

    public void Dispose()
    {
        Caches.Dispose();
        _ungroupedCaches?.Dispose();
        CleanTokens.Dispose();
        CorruptedTokens.Dispose();
    }
}
