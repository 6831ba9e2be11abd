using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// The yardstick: TransformerLens's <c>generic_activation_patch</c> step for step — one full
/// forward of the corrupted batch per index, with the clean activation's slice patched in. The
/// only liberty: logits are computed at the metric's read positions only (ln_final and the
/// unembedding act per position, so those logits are the same numbers; a test checks it), which
/// spares a [batch, pos, d_vocab] tensor per index. Slow by design; faster engines are tested
/// against it.
/// </summary>
public sealed class ReferenceEngine : PatchingEngine
{
    public override PatchEngineKind Kind => PatchEngineKind.Reference;

    /// <summary>One unit per index, each one full forward of the corrupted batch.</summary>
    internal override IReadOnlyList<PatchWork> Plan(PatchingSetup setup, PatchTarget target)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(target);
        setup.CachesFor(target).Ensure(target.HookNames(setup.Model.Config));
        var cfg = setup.Model.Config;
        double blocksFlop = FlopCount.Blocks(cfg, (double)setup.Clean.Count * setup.NPos, setup.NPos / 2.0, cfg.NLayers);
        double unembedFlop = FlopCount.Unembed(cfg, setup.Clean.Count);
        double perForward = blocksFlop + unembedFlop;
        return Indices(target.Shape(cfg, setup.NPos))
            .Select((index, flat) => new PatchWork([flat], perForward, 1, () => [EvaluatePerPrompt(setup, target, index)]))
            .ToList();
    }

    /// <summary>The metric after patching one index (one full forward): the mean over prompts.</summary>
    public static double Evaluate(PatchingSetup setup, PatchTarget target, IReadOnlyList<int> index) =>
        EvaluatePerPrompt(setup, target, index).Average();

    /// <summary>Each prompt's metric after patching one index (one full forward).</summary>
    public static double[] EvaluatePerPrompt(PatchingSetup setup, PatchTarget target, IReadOnlyList<int> index)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(index);
        string hook = target.HookName(index[0]);
        var caches = setup.CachesFor(target);
        caches.Ensure([hook]);
        var clean = caches.Clean[hook];
        using var scope = NewDisposeScope();
        using var mode = setup.ModeFor(target);
        using var hooks = setup.Model.Hooks((hook, (act, _) => target.Patch(act, clean, index)));
        var readOptions = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(setup.Model.ModelDevice) };
        var readLogits = setup.Model.Run(setup.CorruptedTokens, readOptions);
        return setup.Metric.PerPromptAtRead(readLogits).cpu().data<double>().ToArray();
    }
}
