using IclNotebook.Hooks;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// A clean/corrupted pair ready for patching: tokens, the metric, both baselines and both runs'
/// activation caches (computed once, owned here). Engines read it; they never change it.
/// </summary>
public sealed class PatchingSetup : IDisposable
{
    private PatchingSetup(HookedTransformer model, TokenBatch clean, TokenBatch corrupted, AnswerMetric metric, bool colabExact)
    {
        Model = model;
        Clean = clean;
        Corrupted = corrupted;
        Metric = metric;
        ColabExact = colabExact;
        CleanTokens = clean.ToTensor(model.ModelDevice).DetachFromDisposeScope();
        CorruptedTokens = corrupted.ToTensor(model.ModelDevice).DetachFromDisposeScope();
        var (cleanLogits, cleanCache) = model.RunWithCache(CleanTokens);
        var (corruptedLogits, corruptedCache) = model.RunWithCache(CorruptedTokens);
        CleanPerPrompt = PerPrompt(metric, cleanLogits);
        CorruptedPerPrompt = PerPrompt(metric, corruptedLogits);
        CleanCache = cleanCache;
        CorruptedCache = corruptedCache;
        SharedPrefix = Math.Min(CommonPrefix(clean.Padded()), CommonPrefix(corrupted.Padded()));
        var tokenizer = Gpt2Tokenizer.Instance;
        PositionLabels = clean.Padded()[0].Select((id, p) => $"{p}: {tokenizer.Decode((int)id)}").ToArray();
    }

    /// <summary>
    /// Checks the pair (same prompt count, equal token lengths per prompt) and runs both prompts
    /// with cache. <paramref name="colabExact"/> only records how the inputs were built.
    /// </summary>
    public static PatchingSetup Create(HookedTransformer model, TokenBatch clean, TokenBatch corrupted, AnswerMetric metric, bool colabExact = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(corrupted);
        ArgumentNullException.ThrowIfNull(metric);
        if (clean.Count != corrupted.Count)
            throw new IclException($"Patching needs as many corrupted prompts as clean ones: {clean.Count} clean, {corrupted.Count} corrupted.");
        for (int i = 0; i < clean.Count; i++)
            if (clean.Ids[i].Length != corrupted.Ids[i].Length)
                throw new IclException($"Prompt {i}: the clean prompt is {clean.Ids[i].Length} tokens and the corrupted one {corrupted.Ids[i].Length}; activation patching needs the same length so positions line up.");
        if (metric.AnswerIds.Count != clean.Count || metric.ReadPositions.Count != clean.Count)
            throw new IclException($"The metric has {metric.AnswerIds.Count} answers for {clean.Count} prompts.");
        if (metric.ReadPositions.Any(p => p < 0 || p >= clean.MaxLength))
            throw new IclException($"A metric read position lies outside the prompts (0..{clean.MaxLength - 1}).");
        return new PatchingSetup(model, clean, corrupted, metric, colabExact);
    }

    public HookedTransformer Model { get; }
    public TokenBatch Clean { get; }
    public TokenBatch Corrupted { get; }
    public AnswerMetric Metric { get; }
    public bool ColabExact { get; }
    public Tensor CleanTokens { get; }
    public Tensor CorruptedTokens { get; }
    public ActivationCache CleanCache { get; }
    public ActivationCache CorruptedCache { get; }

    /// <summary>Answer log-prob (nats) per prompt in the clean and corrupted runs.</summary>
    public IReadOnlyList<double> CleanPerPrompt { get; }
    public IReadOnlyList<double> CorruptedPerPrompt { get; }

    /// <summary>Mean answer log-prob (nats) of the clean and corrupted runs.</summary>
    public double CleanBaseline => CleanPerPrompt.Average();
    public double CorruptedBaseline => CorruptedPerPrompt.Average();

    private static double[] PerPrompt(AnswerMetric metric, Tensor logits)
    {
        using (logits)
        using (var perPrompt = metric.PerPrompt(logits))
            return perPrompt.cpu().data<double>().ToArray();
    }

    /// <summary>"45: positive" per position of prompt 0 (axis labels for results).</summary>
    public IReadOnlyList<string> PositionLabels { get; }

    public int NPos => Clean.MaxLength;

    /// <summary>Positions 0..SharedPrefix-1 hold the same tokens in every clean prompt, and the same
    /// tokens in every corrupted prompt (the shared demonstrations), so their activations are shared too.</summary>
    public int SharedPrefix { get; }

    private static int CommonPrefix(long[][] rows) =>
        Enumerable.Range(0, rows[0].Length).TakeWhile(p => rows.All(r => r[p] == rows[0][p])).Count();

    public void Dispose()
    {
        CleanCache.Dispose();
        CorruptedCache.Dispose();
        CleanTokens.Dispose();
        CorruptedTokens.Dispose();
    }
}
