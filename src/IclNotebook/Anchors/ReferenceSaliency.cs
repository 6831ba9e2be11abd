using IclNotebook.Hooks;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Anchors;

/// <summary>
/// The anchors saliency's straightforward reference, the paper's own method: one prompt and one
/// layer at a time, that layer's pattern multiplied by a tensor of ones that requires grad, whose
/// gradient is A ⊙ ∂L/∂A. Slow (prompts × layers forward+backward passes); the batched saliency is
/// tested against it, and <c>icl bench anchors</c> times it.
/// </summary>
public static class ReferenceSaliency
{
    /// <summary>I_l = |Σ_h A ⊙ ∂L/∂A| [dest, src] of one prompt (caller's scope), and its loss.</summary>
    public static (Tensor Saliency, double Loss) OneLayer(HookedTransformer model, IReadOnlyList<int> ids, int answer, int layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        using var grad = enable_grad();
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.ModelDevice);
        var weight = ones([1, model.Config.NHeads, ids.Count, ids.Count], device: model.ModelDevice).requires_grad_(true);
        Tensor logits;
        using (model.Hooks((HookName.Pattern(layer), (act, _) => act.mul(weight))))
            logits = model.Forward(tokens);                                  // [1, pos, d_vocab]
        var loss = logits[0, ids.Count - 1].log_softmax(0)[answer].neg();
        loss.backward();
        return (weight.grad!.sum([1])[0].abs().detach(), loss.item<float>());
    }
}
