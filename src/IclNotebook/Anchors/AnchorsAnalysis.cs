using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Anchors;

/// <summary>
/// Label words as anchors (Wang et al., EMNLP 2023, github.com/lancopku/label-words-are-anchors):
/// how information flows through the demonstrations' label words, from the saliency of every
/// attention edge. The saliency is not invariant under TransformerLens's weight processing (folding
/// the value biases into b_O changes ∂L/∂A along the softmax's all-ones direction), so it is meant to
/// be computed on the checkpoint's own weights (<see cref="WeightProcessing.Raw"/>), as the paper did.
/// </summary>
public static class AnchorsAnalysis
{
    /// <summary>Saliency flows of the task's clean prompts, each read at its last real token.</summary>
    public static AnchorsResult Run(HookedTransformer model, IclTask task, IclPromptSet prompts) => Run(model, task, prompts, ChunkTokens);

    /// <summary>As <see cref="Run(HookedTransformer, IclTask, IclPromptSet)"/>, at most <paramref name="chunkTokens"/> padded tokens per pass.</summary>
    internal static AnchorsResult Run(HookedTransformer model, IclTask task, IclPromptSet prompts, int chunkTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(prompts);
        var tokenizer = model.Tokenizer;
        var tokens = prompts.CleanTokens;
        var labels = Enumerable.Range(0, prompts.Count)
            .Select(b => LabelPositions.Find(task, tokenizer, prompts.CleanPrompts[b], tokens.Ids[b], b)).ToArray();
        var perPrompt = new List<IReadOnlyList<InformationFlow>>();
        var loss = new List<double>();
        // Runs of prompts, each one forward and backward whose graph is freed before the next: memory flat in the prompts.
        foreach (var (start, part) in tokens.Chunks(chunkTokens))
        {
            using var scope = NewDisposeScope();
            var (saliency, partLoss) = Saliency.Compute(model, part, prompts.AnswerTokenIds.Skip(start).Take(part.Count).ToArray());
            loss.AddRange(partLoss);
            for (int i = 0; i < part.Count; i++)
            {
                int q = part.LastPositions[i];
                perPrompt.Add(saliency.Select(s => InformationFlow.Of(Matrix(s[i], q + 1), labels[start + i], q)).ToArray());
            }
        }
        var flows = Enumerable.Range(0, model.Config.NLayers).Select(l => InformationFlow.Mean(perPrompt.Select(p => p[l]).ToList())).ToArray();
        bool raw = model.Processing == WeightProcessing.Raw;
        var bootstrap = new Statistics.Bootstrap();
        var intervals = Enumerable.Range(0, model.Config.NLayers).Select(l =>
        (
            bootstrap.Mean(perPrompt.Select(p => p[l].TextToLabel).ToArray()),
            bootstrap.Mean(perPrompt.Select(p => p[l].LabelToTarget).ToArray()),
            bootstrap.Mean(perPrompt.Select(p => p[l].Other).ToArray())
        )).ToArray();
        return new AnchorsResult
        {
            Flows = flows,
            FlowIntervals = intervals,
            PerPrompt = perPrompt,
            LabelPositions = labels,
            LabelTokens = labels.Select((at, b) => (IReadOnlyList<string>)at.Select(p => tokenizer.Decode(tokens.Ids[b][p])).ToArray()).ToArray(),
            TargetPositions = tokens.LastPositions,
            Loss = loss.ToArray(),
            Processing = model.Processing,
            DType = model.Config.DType,
            Definition = "Label words as anchors (Wang et al. 2023): saliency I_l = |Σ_h A_{h,l} ⊙ ∂L/∂A_{h,l}| per layer, " +
                "L = −log softmax(logits at the last real token)[answer] over the full vocabulary; " +
                "over the strictly lower triangle j < i of positions 0..q (q = the last real token): " +
                "S_wp = mean I[p, j] over label positions p and j < p, S_pq = mean I[q, p] over label positions, " +
                "S_ww = mean I[i, j] over every other edge; averaged over prompts. " +
                "Label positions: the demonstrations' label tokens, from the task file. " +
                (raw ? "Computed on the checkpoint's own weights (raw processing), as the paper did: " +
                       "the saliency is not invariant under TransformerLens's weight processing."
                     : "Computed on TransformerLens-processed weights: the saliency is NOT invariant under that processing " +
                       "(folded value biases change ∂L/∂A); the paper used the checkpoint's own weights (raw)."),
        };
    }

    /// <summary>
    /// Padded tokens per forward and backward: the backward keeps every activation, about 1.3 MB a token on GPT-2 small's
    /// shape, so a run holds about 1.4 GB there whatever the number of prompts.
    /// </summary>
    private const int ChunkTokens = 1024;

    private static float[,] Matrix(Tensor square, int n)
    {
        var values = square[..n, ..n].to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var m = new float[n, n];
        Buffer.BlockCopy(values, 0, m, 0, values.Length * sizeof(float));
        return m;
    }
}
