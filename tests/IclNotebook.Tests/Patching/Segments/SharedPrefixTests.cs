using IclNotebook.Hooks;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching.Segments;

/// <summary>
/// A prefix given once (batch 1) for every row of a segment is attended to through one GEMM per head
/// instead of a copy per row: the logits and the attention pattern must equal those of the same prefix repeated
/// for each row, on each family's shape (learned positions, rotary + parallel, rotary + GQA).
/// </summary>
public class SharedPrefixTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("neox")]
    [InlineData("llama")]
    public void A_shared_prefix_equals_the_prefix_repeated_for_every_row(string family)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var segment = new SegmentCase(family, modelSeed: 4, dataSeed: 1, n: 12, t0: 9, rows: 5);
        var read = arange(segment.Seg, dtype: ScalarType.Int64).unsqueeze(0).expand(segment.Rows, -1);

        (Tensor Logits, Tensor Pattern) Run(bool shared)
        {
            Tensor? pattern = null;
            using var hooks = segment.Model.Hooks((HookName.Pattern(1), (act, _) => { pattern = act.clone().DetachFromDisposeScope(); return null; })); // outlives the block's scope
            return (segment.Run(shared, read), pattern!);
        }
        var (repeated, repeatedPattern) = Run(shared: false);
        var (sharedLogits, sharedPattern) = Run(shared: true);
        TensorAssert.Close(repeated, sharedLogits, 1e-5, "logits");
        TensorAssert.Close(repeatedPattern, sharedPattern, 1e-5, "patterns");              // [rows, head, seg, t0 + seg]
    }
}
