using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Anchors;

/// <summary>
/// Wang et al.'s saliency of every attention edge: I_l = |Σ_h A_{h,l} ⊙ ∂L/∂A_{h,l}|, with L the
/// cross-entropy of the answer at each prompt's last real token (−log softmax over the full
/// vocabulary). One forward with gradients and one backward for every layer and prompt at once
/// (prompts are independent, so the gradient of the summed loss is each prompt's own).
/// </summary>
internal static class Saliency
{
    /// <summary>Per layer [batch, dest, src] saliency (caller's scope), and each prompt's loss.</summary>
    public static (Tensor[] PerLayer, double[] Loss) Compute(HookedTransformer model, TokenBatch prompts, IReadOnlyList<int> answers)
    {
        var (patterns, grads, loss) = Gradients(model, prompts, answers);
        var perLayer = patterns.Select((a, l) => a.mul(grads[l]).sum([1]).abs()).ToArray();     // [batch, dest, src]
        return (perLayer, loss);
    }

    /// <summary>Each layer's pattern A [batch, head, dest, src] and ∂L/∂A, detached (caller's scope), and each prompt's loss.</summary>
    public static (Tensor[] Patterns, Tensor[] Grads, double[] Loss) Gradients(HookedTransformer model, TokenBatch prompts,
            IReadOnlyList<int> answers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(answers);
        if (answers.Count != prompts.Count)
            throw new IclException($"The saliency got {answers.Count} answers for {prompts.Count} prompts; give one per prompt.");
        int layers = model.Config.NLayers;
        var kept = new Tensor[layers];
        double[] loss;
        Tensor[] patterns, grads;
        using (var scope = NewDisposeScope())
        using (var grad = enable_grad())
        {
            var hooks = new List<(string, HookFunction)> { (HookName.Embed, (act, _) => act.detach().requires_grad_(true)) };
            for (int l = 0; l < layers; l++)
            {
                int layer = l;
                hooks.Add((HookName.Pattern(l), (act, _) => { act.retain_grad(); kept[layer] = act.DetachFromDisposeScope(); return null; }));
            }
            using var tokens = prompts.ToTensor(model.ModelDevice);
            var read = tensor(prompts.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
            var ids = tensor(answers.Select(a => (long)a).ToArray(), device: model.ModelDevice).unsqueeze(1);
            Tensor perPrompt;
            using (model.Hooks([.. hooks]))
            {
                var logits = model.Forward(tokens, new ForwardOptions { UnembedPositions = read });      // [batch, d_vocab]
                perPrompt = logits.log_softmax(-1).gather(1, ids).squeeze(1).neg();                        // [batch]
                perPrompt.sum().backward();
            }
            loss = perPrompt.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
            patterns = kept.Select(a => a.detach().MoveToOuterDisposeScope()).ToArray();
            grads = kept.Select(a => (a.grad ?? zeros_like(a)).detach().MoveToOuterDisposeScope()).ToArray();
        }
        foreach (var a in kept) a?.Dispose();
        return (patterns, grads, loss);
    }
}
