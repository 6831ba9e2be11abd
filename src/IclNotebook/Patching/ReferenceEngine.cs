using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// The yardstick: TransformerLens's <c>generic_activation_patch</c> step for step — one full
/// forward of the corrupted batch per index, with the clean activation's slice patched in, and
/// the metric read from the full logits. Slow by design; every faster engine is tested against it.
/// </summary>
public sealed class ReferenceEngine : PatchingEngine
{
    public override string Name => "reference";

    protected override (double[] Values, long Forwards) RunTarget(PatchingSetup setup, PatchTarget target, IProgress<PatchProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(target);
        var shape = target.Shape(setup.Model.Config, setup.NPos);
        var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
        long done = 0;
        foreach (var index in Indices(shape))
        {
            ct.ThrowIfCancellationRequested();
            values[done] = Evaluate(setup, target, index);
            progress?.Report(new PatchProgress(target.Name, ++done, values.Length));
        }
        return (values, values.Length);
    }

    /// <summary>The metric after patching one index (one full forward).</summary>
    public static double Evaluate(PatchingSetup setup, PatchTarget target, IReadOnlyList<int> index)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(index);
        string hook = target.HookName(index[0]);
        var clean = setup.CleanCache[hook];
        using var scope = NewDisposeScope();
        var logits = setup.Model.RunWithHooks(setup.CorruptedTokens, (hook, (act, _) => target.Patch(act, clean, index)));
        return setup.Metric.Evaluate(logits);
    }
}
