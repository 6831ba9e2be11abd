using System.Globalization;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Plots;
using static TorchSharp.torch;

namespace IclNotebook.Patterns;

/// <summary>
/// One layer's attention patterns over one prompt, ready to look at: <see cref="ToHtml"/> is an
/// interactive view (pick a head; hover a token to see where it attends, or, in source mode, who
/// attends to it; click to pin), self-contained and offline; <see cref="HeadHeatmap"/> a static
/// heatmap of one head. Tokens are shown as the model's tokenizer splits them.
/// </summary>
public sealed class AttentionView
{
    private AttentionView(int layer, IReadOnlyList<string> tokens, float[][][] pattern, string title)
    {
        Layer = layer;
        Tokens = tokens;
        Pattern = pattern;
        Title = title;
    }

    public int Layer { get; }

    /// <summary>The tokens' text, position order.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>[head][dest][src] attention weights (rows sum to 1 over src &lt;= dest).</summary>
    public IReadOnlyList<IReadOnlyList<IReadOnlyList<float>>> Weights => Pattern;

    internal float[][][] Pattern { get; }

    public string Title { get; }

    public int Heads => Pattern.Length;

    /// <summary>The head the interactive view shows first (default 0).</summary>
    public int Head { get; private init; }

    /// <summary>The same view, showing <paramref name="head"/> first.</summary>
    public AttentionView Showing(int head) => head >= 0 && head < Heads
        ? new AttentionView(Layer, Tokens, Pattern, Title) { Head = head }
        : throw new IclException($"Head {head} is outside 0..{Heads - 1}.");

    /// <summary>
    /// The view of layer <paramref name="layer"/> for prompt <paramref name="prompt"/> of a cache that holds its
    /// <c>hook_pattern</c>, over that prompt's real tokens <paramref name="ids"/> (padding left out).
    /// </summary>
    public static AttentionView FromCache(HookedTransformer model, ActivationCache cache, int layer, int prompt, IReadOnlyList<int> ids,
            string? title = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(ids);
        if (layer < 0 || layer >= model.Config.NLayers) throw new IclException($"Layer {layer} is outside 0..{model.Config.NLayers - 1}.");
        using var scope = NewDisposeScope();
        int n = ids.Count;
        var p = cache[HookName.Pattern(layer)][prompt, .., ..n, ..n].to(ScalarType.Float32).cpu().contiguous(); // [head, dest, src]
        var flat = p.data<float>().ToArray();
        int heads = (int)p.shape[0];
        var pattern = Enumerable.Range(0, heads)
            .Select(h => Enumerable.Range(0, n).Select(i => flat.AsSpan((h * n + i) * n, n).ToArray()).ToArray())
            .ToArray();
        var tokens = model.HasTokenizer
            ? ids.Select(model.Tokenizer.Decode).ToArray()
            : ids.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new AttentionView(layer, tokens, pattern, title ?? $"{model.Config.Name}, layer {layer}");
    }

    /// <summary>Runs <paramref name="ids"/> (BOS included if the family uses one) and views layer <paramref name="layer"/>.</summary>
    public static AttentionView Run(HookedTransformer model, IReadOnlyList<int> ids, int layer, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        if (layer < 0 || layer >= model.Config.NLayers) throw new IclException($"Layer {layer} is outside 0..{model.Config.NLayers - 1}.");
        using var cache = AttentionPatterns.Of(model, ids, layer);
        return FromCache(model, cache, layer, 0, ids, title);
    }

    /// <summary>A text's view: tokenized by the model's tokenizer with BOS as its family prepends it.</summary>
    public static AttentionView Run(HookedTransformer model, string text, int layer) =>
        Run(model, model.Tokenizer.ToTokens([text]).Ids[0], layer);

    /// <summary>The interactive view as an HTML fragment (a div and its script; no external files).</summary>
    public string ToHtml() => AttentionViewHtml.Render(this);

    /// <summary>One head's pattern as a heatmap, destination tokens down, source tokens across.</summary>
    public PlotlyFigure HeadHeatmap(int head, PlotOptions? options = null)
    {
        if (head < 0 || head >= Heads) throw new IclException($"Head {head} is outside 0..{Heads - 1}.");
        int n = Tokens.Count;
        var labels = Tokens.Select((t, i) => $"{i}: {t.Replace("\n", "↵", StringComparison.Ordinal)}").ToArray();
        var z = Pattern[head].Select((row, i) => row.Select((v, j) => j <= i ? (double?)v : null).ToArray()).ToArray();
        var hover = Pattern[head].Select((row, i) => row.Select((v, j) =>
            string.Create(CultureInfo.InvariantCulture, $"from {labels[i]}<br>to {labels[j]}<br>weight {v:F4}")).ToArray()).ToArray();
        var panel = new HeatmapPanel($"L{Layer}H{head}", "Source token", "Destination token",
            labels.Select(l => System.Net.WebUtility.HtmlEncode(l)).ToArray(),
            labels.Select(l => System.Net.WebUtility.HtmlEncode(l)).ToArray(), z, hover);
        int size = Math.Clamp(220 + 9 * n, 500, 1400);
        string title = options?.Title ?? $"Attention pattern L{Layer}H{head} — {Title}";
        return PanelFigure.Build([panel], title, (options ?? new PlotOptions()) with { ColourRange = 1.0 }, size, size, "weight");
    }

    public override string ToString() => $"AttentionView layer {Layer}, {Heads} heads over {Tokens.Count} tokens ({Title})";
}
