using IclNotebook.Icl;
using IclNotebook.Hooks;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// A clean/corrupted pair ready for patching: tokens, the metric, both baselines and both runs'
/// activation caches (filled on demand with the hooks engines ask for, owned here).
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
        CleanPerPrompt = PerPrompt(model, metric, CleanTokens);
        CorruptedPerPrompt = PerPrompt(model, metric, CorruptedTokens);
        SharedPrefix = Math.Min(CommonPrefix(clean.Padded()), CommonPrefix(corrupted.Padded()));
        var tokenizer = Gpt2Tokenizer.Instance;
        PositionLabels = clean.Padded()[0].Select((id, p) => $"{p}: {Display(tokenizer.Decode((int)id))}").ToArray();
    }

    /// <summary>
    /// The setup for a prompt set as the analysis builds it: the metric reads at each prompt's last
    /// real token, or, for prompts built with <see cref="CorruptionMode.ColabExact"/>, at the padded
    /// batch's last column as the original Colab does (<see cref="AnswerMetric.ColabExact"/>).
    /// </summary>
    public static PatchingSetup Create(HookedTransformer model, IclPromptSet prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        bool colabExact = prompts.Mode == CorruptionMode.ColabExact;
        var metric = colabExact
            ? AnswerMetric.ColabExact(prompts.CleanTokens.MaxLength, prompts.AnswerTokenIds)
            : AnswerMetric.AtLastRealToken(prompts.CleanTokens.Lengths, prompts.AnswerTokenIds);
        return Create(model, prompts.CleanTokens, prompts.CorruptedTokens, metric, colabExact);
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
    /// <summary>Activations of the clean and corrupted runs cached so far (see <see cref="EnsureCached"/>).</summary>
    public ActivationCache CleanCache { get; } = new();
    public ActivationCache CorruptedCache { get; } = new();

    /// <summary>Answer log-prob (nats) per prompt in the clean and corrupted runs.</summary>
    public IReadOnlyList<double> CleanPerPrompt { get; }
    public IReadOnlyList<double> CorruptedPerPrompt { get; }

    /// <summary>Mean answer log-prob (nats) of the clean and corrupted runs.</summary>
    public double CleanBaseline => CleanPerPrompt.Average();
    public double CorruptedBaseline => CorruptedPerPrompt.Average();

    private static double[] PerPrompt(HookedTransformer model, AnswerMetric metric, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var readLogits = model.Run(tokens, new ForwardOptions { UnembedPositions = metric.PositionsTensor(model.ModelDevice) });
        return metric.PerPromptAtRead(readLogits).cpu().data<double>().ToArray();
    }

    /// <summary>
    /// Makes sure both runs' caches hold <paramref name="hooks"/>, running the prompts again for
    /// any that are missing. Engines ask for what they need, so memory holds only that.
    /// </summary>
    public void EnsureCached(IEnumerable<string> hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        var missing = hooks.Where(h => !CleanCache.ContainsKey(h) || !CorruptedCache.ContainsKey(h)).ToHashSet(StringComparer.Ordinal);
        if (missing.Count == 0) return;
        using var scope = NewDisposeScope();
        foreach (var (tokens, cache) in new[] { (CleanTokens, CleanCache), (CorruptedTokens, CorruptedCache) })
        {
            var (logits, fresh) = Model.RunWithCache(tokens, missing.Contains, new ForwardOptions { UnembedPositions = Metric.PositionsTensor(Model.ModelDevice) });
            logits.Dispose();
            using (fresh) cache.Absorb(fresh);
        }
    }

    /// <summary>Every layer's hook for each of TL's activation names (resid_pre, z, ...).</summary>
    public IEnumerable<string> AllLayers(params PatchTarget[] targets) =>
        targets.SelectMany(t => Enumerable.Range(0, Model.Config.NLayers).Select(t.HookName));

    /// <summary>"45: positive" per position of prompt 0 (axis labels for results).</summary>
    public IReadOnlyList<string> PositionLabels { get; }

    public int NPos => Clean.MaxLength;

    /// <summary>Positions 0..SharedPrefix-1 hold the same tokens in every clean prompt, and the same
    /// tokens in every corrupted prompt (the shared demonstrations), so their activations are shared too.</summary>
    public int SharedPrefix { get; }

    /// <summary>A token as an axis label: surrounding spaces dropped, newlines visible.</summary>
    private static string Display(string token)
    {
        var shown = token.Replace("\n", "\\n", StringComparison.Ordinal).Trim(' ');
        return shown.Length == 0 ? "␣" : shown;
    }

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
