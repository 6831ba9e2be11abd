using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Model;

// One head at a time, outside the forward and without firing hooks: what path patching, edge attribution and circuit runs
// compute for a single head's input or output.
public sealed partial class Attention
{
    /// <summary>
    /// What <c>hook_q</c>, <c>hook_k</c> or <c>hook_v</c> (<paramref name="activation"/> "q", "k" or "v") would hold for one head,
    /// computed from <paramref name="normalized"/> (ln1's output) without firing any hook: path patching's receiver inputs. Keys
    /// and values are per query head when <see cref="Ungrouped"/>.
    /// </summary>
    /// <param name="activation">"q", "k" or "v"</param>
    /// <param name="head">the query head (or key/value head of a grouped model that is not ungrouped)</param>
    /// <param name="normalized">[batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_head]</returns>
    internal Tensor HeadProjection(string activation, int head, Tensor normalized)
    {
        int own = activation == "q" || !Ungrouped ? head : head / _group;    // an ungrouped key/value head is a copy of its group's
        var (w, b) = activation switch
        {
            "q" => (W_Q, b_Q),
            "k" => (W_K, b_K),
            "v" => (W_V, b_V),
            _ => throw new ArgumentException($"'{activation}' is not q, k or v.", nameof(activation)),
        };
        return normalized.matmul(w[own]).Plus(b[own]);                  // [batch, pos, d_head]
    }

    /// <summary>
    /// The gradient reaching ln1's output through each head's query, key or value projection (<paramref name="activation"/>),
    /// from the gradient at its hook <paramref name="gradient"/> [batch, pos, head, d_head] (per query head when
    /// <see cref="Ungrouped"/>): [head, batch, pos, d_model]. Edge attribution's receiver gradients.
    /// </summary>
    internal Tensor HeadInputGradients(string activation, Tensor gradient)
    {
        bool ungroup = Ungrouped && _group > 1;
        var w = activation switch
        {
            "q" => W_Q,
            "k" => ungroup ? W_K.repeat_interleave(_group, 0) : W_K,
            "v" => ungroup ? W_V.repeat_interleave(_group, 0) : W_V,
            _ => throw new ArgumentException($"'{activation}' is not q, k or v.", nameof(activation)),
        };
        return einsum("bphe,hde->hbpd", gradient, Precision.To(w, gradient.dtype));
    }

    /// <summary>Each head's own output from <paramref name="z"/> [batch, pos, head, d_head]: TL's hook_result (no b_O), [batch, pos, head, d_model].</summary>
    internal Tensor HeadResults(Tensor z) => einsum("bphe,hed->bphd", z, Precision.To(W_O, z.dtype));

    /// <summary>One head's own output from its <paramref name="z"/> [batch, pos, d_head]: [batch, pos, d_model] (no b_O).</summary>
    internal Tensor HeadResult(Tensor z, int head) => z.matmul(Precision.To(W_O[head], z.dtype));
}
