using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Lens;

/// <summary>
/// Direct logit attribution per layer component and per head, per prompt: how much each part of the
/// final residual stream adds to the answer's logit (or to answer minus wrong), through the final
/// norm's cached scale, as TransformerLens's <c>logit_attrs</c> computes it.
/// </summary>
/// <param name="ComponentLabels">TL's decompose_resid labels: <c>embed</c>, <c>pos_embed</c>, <c>0_attn_out</c>, <c>0_mlp_out</c>, ...</param>
/// <param name="Components">[component][prompt].</param>
/// <param name="HeadLabels">
/// TL's stack_head_results labels, <c>L0H0</c>, ..., then <c>remainder</c> (everything that is not a head's
/// output: embeddings, MLPs, attention biases).
/// </param>
/// <param name="Heads">[head label][prompt].</param>
/// <param name="Bias">[prompt]: the unembedding bias of the answer (minus the wrong answer's), the one part of the logit no component writes.</param>
/// <param name="Logits">[prompt]: the model's own logit of the answer (minus the wrong answer's) at the read position.</param>
/// <param name="Exact">
/// Whether the attributions plus <see cref="Bias"/> sum to <see cref="Logits"/>: true with TL's default processing
/// (the final norm's weight and bias folded into W_U, b_U); with raw weights TL's <c>logit_attrs</c> leaves them out.
/// </param>
public sealed record LogitAttribution(
    IReadOnlyList<string> ComponentLabels,
    IReadOnlyList<IReadOnlyList<double>> Components,
    IReadOnlyList<string> HeadLabels,
    IReadOnlyList<IReadOnlyList<double>> Heads,
    IReadOnlyList<double> Bias,
    IReadOnlyList<double> Logits,
    bool Exact)
{
    /// <summary>What was attributed and how.</summary>
    public required string Definition { get; init; }

    /// <summary>Head attributions averaged over prompts, [layer][head] (the remainder left out).</summary>
    public IReadOnlyList<IReadOnlyList<double>> HeadGrid(int layers, int heads) =>
        Enumerable.Range(0, layers)
            .Select(l => (IReadOnlyList<double>)Enumerable.Range(0, heads).Select(h => Heads[l * heads + h].Average()).ToArray())
            .ToArray();

    /// <summary>The mean attribution of each head as a [Layer, Head] heatmap (RdBu centred on 0).</summary>
    public Plots.PlotlyFigure PlotHeads(int layers, int heads, string? title = null) =>
        Plots.GridPlots.LayerHead(title ?? "Direct logit attribution per head<br><sup>mean over prompts, logits</sup>",
            [("DLA", HeadGrid(layers, heads))], "logits");

    /// <summary>The mean attribution of each layer component (embeddings, attention and MLP outputs) as a line over the stream.</summary>
    public Plots.PlotlyFigure PlotComponents(string? title = null) =>
        Plots.LinePlots.Lines(title ?? "Direct logit attribution per component<br><sup>mean over prompts, logits</sup>", "Component", "logits",
            ComponentLabels, [("mean over prompts", Components.Select(c => c.Average()).ToArray())]);
}

/// <summary>Direct logit attribution (DLA) on a cache, read at one position per prompt.</summary>
public static class DirectLogitAttribution
{
    /// <summary>
    /// DLA of <paramref name="answers"/> (minus <paramref name="wrong"/> when given) at
    /// <paramref name="read"/>: <c>cache.logit_attrs(cache.decompose_resid(pos_slice), answer, pos_slice)</c>
    /// and the same over <c>stack_head_results(incl_remainder=True)</c>, each component centred and
    /// divided once by <c>ln_final.hook_scale</c>, dotted with <c>W_U[:, answer]</c>.
    /// </summary>
    public static LogitAttribution Run(HookedTransformer model, ActivationCache cache, PosSlice read, IReadOnlyList<int> answers,
            IReadOnlyList<int>? wrong = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(answers);
        if (read.KeepsPositions)
            throw new IclException("Direct logit attribution reads one position per prompt: " +
                "pass PosSlice.At(-1) or PosSlice.PerPrompt(tokens.LastPositions).");
        using var components = cache.DecomposeResid(model, pos: read);
        using var heads = cache.StackHeadResults(model, inclRemainder: true, pos: read);
        var componentAttrs = cache.LogitAttrs(model, components, answers, wrong, read);
        var headAttrs = cache.LogitAttrs(model, heads, answers, wrong, read);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var final = read.Apply(cache[HookName.ResidPost(model.Config.NLayers - 1)], "final_post"); // [batch, d_model]
        var logits = model.FinalNormAndUnembed(final);                                              // [batch, d_vocab]
        var bU = model.b_U;
        var bias = answers.Select((a, b) => bU[a].item<float>() - (wrong is null ? 0f : bU[wrong[b]].item<float>())).Select(v => (double)v).ToArray();
        var own = answers.Select((a, b) => logits[b, a].item<float>() - (wrong is null ? 0f : logits[b, wrong[b]].item<float>()))
            .Select(v => (double)v).ToArray();
        bool exact = model.Processing == WeightProcessing.Default;
        string target = wrong is null ? "the answer's logit" : "the logit difference answer - wrong";
        return new LogitAttribution(components.Labels, componentAttrs, heads.Labels, headAttrs, bias, own, exact)
        {
            Definition = $"Direct logit attribution of {target}: " +
                $"TransformerLens cache.logit_attrs(stack, answer{(wrong is null ? "" : ", incorrect_tokens=wrong")}, pos_slice) " +
                "over decompose_resid(pos_slice) and stack_head_results(incl_remainder=True, pos_slice), " +
                "i.e. each component centred, divided once by ln_final.hook_scale, dotted with W_U[:, answer]. " +
                (exact ? "Components (or heads plus remainder) plus the unembedding bias sum to the model's logit."
                       : "Raw weights: the final norm's weight and bias are not folded into W_U, so (as in TransformerLens) " +
                         "the attributions do not sum to the logit; use the default processing for an exact decomposition."),
        };
    }
}
