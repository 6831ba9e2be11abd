using IclNotebook.Model;
namespace IclNotebook.Anchors;

/// <summary>
/// Label words as anchors (Wang et al., EMNLP 2023) for a task: the three information flows per
/// layer, averaged over prompts (<see cref="Flows"/>) and per prompt, the label positions used and
/// each prompt's loss.
/// </summary>
public sealed record AnchorsResult
{
    /// <summary>Per layer, the flows averaged over prompts.</summary>
    public required IReadOnlyList<InformationFlow> Flows { get; init; }

    /// <summary>
    /// Per layer, the 95 % interval of each flow's mean over prompts (S_wp, S_pq, S_ww), a seeded bootstrap over prompts
    /// (1000 resamples, seed 0).
    /// </summary>
    public required IReadOnlyList<(Statistics.Interval TextToLabel, Statistics.Interval LabelToTarget, Statistics.Interval Other)> FlowIntervals
    {
        get; init;
    }

    /// <summary>[prompt][layer] flows.</summary>
    public required IReadOnlyList<IReadOnlyList<InformationFlow>> PerPrompt { get; init; }

    /// <summary>
    /// Prompt by prompt, the token positions of its demonstrations' label words (the same in every prompt of a hand-written
    /// task, whose prompts share their demonstrations; each prompt's own in a dataset task).
    /// </summary>
    public required IReadOnlyList<IReadOnlyList<int>> LabelPositions { get; init; }

    /// <summary>Prompt by prompt, the label words' tokens as the tokenizer splits them.</summary>
    public required IReadOnlyList<IReadOnlyList<string>> LabelTokens { get; init; }

    /// <summary>Each prompt's prediction position (its last real token).</summary>
    public required IReadOnlyList<int> TargetPositions { get; init; }

    /// <summary>Each prompt's cross-entropy of the answer, nats.</summary>
    public required IReadOnlyList<double> Loss { get; init; }

    /// <summary>The weight processing the saliency was computed with (Raw = the checkpoint's own weights, as the paper).</summary>
    public required WeightProcessing Processing { get; init; }

    /// <summary>The model's dtype.</summary>
    public required ModelDType DType { get; init; }

    public required string Definition { get; init; }

    /// <summary>The three flows over layers, one line each.</summary>
    public Plots.PlotlyFigure Plot(string? title = null)
    {
        var layers = Enumerable.Range(0, Flows.Count).Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string heading = title ?? $"Information flow through the label words<br><sup>mean saliency |Σ_h A ⊙ ∂L/∂A| per edge type, " +
            $"mean over prompts ({OptionNames.Name(Processing)} weights)</sup>";
        return Plots.LinePlots.Lines(heading, "Layer", "mean saliency", layers,
            [("S_wp: text → label words", Flows.Select(f => f.TextToLabel).ToArray()),
             ("S_pq: label words → prediction", Flows.Select(f => f.LabelToTarget).ToArray()),
             ("S_ww: all other edges", Flows.Select(f => f.Other).ToArray())]);
    }

    /// <summary>The first layer from which S_pq exceeds S_wp (the paper's shallow/deep split), or null.</summary>
    public int? Crossover
    {
        get
        {
            var first = Flows.Select((f, l) => (f, l)).FirstOrDefault(x => x.f.LabelToTarget > x.f.TextToLabel, (f: null!, l: -1));
            return first.l >= 0 ? first.l : null;
        }
    }
}
