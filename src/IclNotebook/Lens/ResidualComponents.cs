using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Lens;

/// <summary>
/// A stack of residual-stream components with TransformerLens's labels, as TL's
/// <c>accumulated_resid</c>, <c>decompose_resid</c> and <c>stack_head_results</c> return them with
/// <c>return_labels=True</c>: <see cref="Components"/> is [component, batch, (pos,) d_model] and
/// <see cref="Labels"/> names each component (<c>0_pre</c>, <c>0_mid</c>, ..., <c>final_post</c>;
/// <c>embed</c>, <c>pos_embed</c>, <c>0_attn_out</c>, ...; <c>L0H0</c>, ...). The stack owns its
/// tensor (no dispose scope holds it); disposing frees it early.
/// </summary>
public sealed class ResidualComponents : IDisposable
{
    internal ResidualComponents(Tensor components, IReadOnlyList<string> labels, bool lnApplied)
    {
        if (components.shape[0] != labels.Count)
            throw new InvalidOperationException($"{components.shape[0]} components but {labels.Count} labels.");
        Components = components.detach().DetachFromDisposeScope();
        Labels = labels;
        LnApplied = lnApplied;
    }

    /// <summary>[component, batch, (pos,) d_model], float32 on the model's device.</summary>
    public Tensor Components { get; }

    /// <summary>TransformerLens's label of each component, in stack order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Whether the cached LayerNorm scale has been applied (TL's <c>apply_ln=True</c>).</summary>
    public bool LnApplied { get; }

    public int Count => Labels.Count;

    /// <summary>The component labelled <paramref name="label"/>: [batch, (pos,) d_model] (a view the stack owns).</summary>
    public Tensor this[string label]
    {
        get
        {
            int i = Labels.ToList().IndexOf(label);
            if (i < 0) throw new IclException($"The stack has no component '{label}'. Its components: {string.Join(", ", Labels)}.");
            return Components[i];
        }
    }

    public override string ToString() =>
        $"ResidualComponents [{string.Join(", ", Components.shape)}]{(LnApplied ? " (LN applied)" : "")}: " +
        $"{string.Join(", ", Labels.Take(6))}{(Count > 6 ? ", ..." : "")}";

    public void Dispose() => Components.Dispose();
}
