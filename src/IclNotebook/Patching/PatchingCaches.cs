using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// The clean and corrupted runs' activations, filled on demand with the hooks the engines ask
/// for (so memory holds only those) and owned here.
/// </summary>
public sealed class PatchingCaches : IDisposable
{
    private readonly HookedTransformer _model;
    private readonly Tensor _cleanTokens, _corruptedTokens;
    private readonly Metrics.AnswerMetric _metric;
    private readonly bool _ungrouped;

    /// <param name="model">The model both runs use.</param>
    /// <param name="cleanTokens">Clean tokens [batch, pos] (not owned).</param>
    /// <param name="corruptedTokens">Corrupted tokens [batch, pos] (not owned).</param>
    /// <param name="metric">The metric, whose read positions are the only ones a caching run unembeds.</param>
    /// <param name="ungrouped">
    /// Run with grouped-query attention ungrouped (per-head k/v hooks; <see cref="HookedTransformer.UngroupGroupedQueryAttention"/>).
    /// </param>
    public PatchingCaches(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens, Metrics.AnswerMetric metric, bool ungrouped = false)
    {
        _model = model;
        _cleanTokens = cleanTokens;
        _corruptedTokens = corruptedTokens;
        _metric = metric;
        _ungrouped = ungrouped;
    }

    /// <summary>Activations of the clean run cached so far.</summary>
    public ActivationCache Clean { get; } = new();

    /// <summary>Activations of the corrupted run cached so far.</summary>
    public ActivationCache Corrupted { get; } = new();

    /// <summary>Makes sure both caches hold <paramref name="hooks"/>, running the prompts again for any that are missing.</summary>
    public void Ensure(IEnumerable<string> hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        var missing = hooks.Where(h => !Clean.ContainsKey(h) || !Corrupted.ContainsKey(h)).ToHashSet(StringComparer.Ordinal);
        if (missing.Count == 0) return;
        using var scope = NewDisposeScope();
        using var mode = _ungrouped ? _model.UngroupGroupedQueryAttention() : null;
        var read = _metric.PositionsTensor(_model.ModelDevice);
        foreach (var (tokens, cache) in new[] { (_cleanTokens, Clean), (_corruptedTokens, Corrupted) })
        {
            var (logits, fresh) = _model.RunWithCache(tokens, missing.Contains, new ForwardOptions { UnembedPositions = read });
            logits.Dispose();
            using (fresh) cache.Absorb(fresh);
        }
    }

    public void Dispose()
    {
        Clean.Dispose();
        Corrupted.Dispose();
    }
}
