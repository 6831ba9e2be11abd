using System.Globalization;
using IclNotebook.Metrics;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Teaching;

public static partial class Exercises
{
    /// <summary>
    /// Exercise 4: the mean metric after patching <c>resid_pre</c> of <paramref name="layer"/> at <paramref name="position"/>
    /// in the corrupted run with its clean value (what the library's residual grid holds at that cell, in nats).
    /// </summary>
    public static ExerciseCheck CheckResidPatch(int layer, int position, double value) => Record(ResidPatch(layer, position, value));

    private static ExerciseCheck ResidPatch(int layer, int position, double value)
    {
        const string name = ResidPatchExercise;
        if (double.IsNaN(value)) return ExerciseCheck.NotDone(name);
        var setup = ExerciseToy.Instance.Setup;
        var cfg = setup.Model.Config;
        if (layer < 0 || layer >= cfg.NLayers || position < 0 || position >= setup.NPos)
            return ExerciseCheck.Wrong(name, $"layer {layer}, position {position} is outside the grid ({cfg.NLayers} layers, {setup.NPos} positions).");
        double want = ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [layer, position]);
        string cell = $"layer {layer}, position {position}";
        double normalised = AnswerMetric.Normalise(want, setup.CleanBaseline, setup.CorruptedBaseline);
        if (Close(value, want))
            return ExerciseCheck.Right(name, string.Create(CultureInfo.InvariantCulture,
                $"{value:F4} nats at {cell}, as the library's grid (normalised {normalised:F3})."));
        if (SharedMistake(setup, PatchTargets.ResidPre, [layer, position], value, normalised) is { } mistake) return ExerciseCheck.Wrong(name, mistake);
        foreach (int p in new[] { position - 1, position + 1 }.Where(p => p >= 0 && p < setup.NPos))
            if (Close(value, ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [layer, p])))
                return ExerciseCheck.Wrong(name, $"that is the patch at position {p}: an off-by-one in the position index.");
        foreach (int l in new[] { layer - 1, layer + 1 }.Where(l => l >= 0 && l < cfg.NLayers))
            if (Close(value, ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [l, position])))
                return ExerciseCheck.Wrong(name, $"that is the patch at layer {l}: blocks.{layer}.hook_resid_pre is the input of block {layer}.");
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"{value:F4} nats at {cell}; expected {want:F4} (clean baseline {setup.CleanBaseline:F4}, corrupted {setup.CorruptedBaseline:F4})."));
    }

    /// <summary>
    /// Exercise 5: the patching loop over every position of one layer's <c>resid_pre</c>: one value per position, in nats (the
    /// library's grid's row <paramref name="layer"/>).
    /// </summary>
    public static ExerciseCheck CheckResidPositions(int layer, IReadOnlyList<double>? values) => Record(ResidPositions(layer, values));

    private static ExerciseCheck ResidPositions(int layer, IReadOnlyList<double>? values)
    {
        const string name = PositionsExercise;
        if (values is null || values.Count > 0 && values.All(double.IsNaN)) return ExerciseCheck.NotDone(name);
        var toy = ExerciseToy.Instance;
        int nPos = toy.Setup.NPos, nLayers = toy.Model.Config.NLayers;
        if (layer < 0 || layer >= nLayers) return ExerciseCheck.Wrong(name, $"layer {layer} is outside the model's {nLayers} layers.");
        if (values.Count != nPos)
            return ExerciseCheck.Wrong(name, values.Count == nPos - 1
                ? $"one value short: loop over every position 0 .. {nPos - 1}, the last one included (it is where the answer is read)."
                : $"expected one value per position ({nPos}); got {values.Count}.");
        var want = Row(toy.ResidPre, layer);
        var grid = toy.ResidPre;
        if (Close(values, want))
        {
            int best = Enumerable.Range(0, nPos).MaxBy(p => want[p]);
            return ExerciseCheck.Right(name, string.Create(CultureInfo.InvariantCulture,
                $"all {nPos} positions of layer {layer} equal the library's grid; the largest restoration is at {grid.Labels[1][best]} ({want[best]:F4} nats)."));
        }
        if (Close(values, want.Select(v => AnswerMetric.Normalise(v, grid.CleanBaseline, grid.CorruptedBaseline)).ToArray()))
            return ExerciseCheck.Wrong(name, "these are normalised values: the check takes the metric in nats, before normalising.");
        var got = values.ToArray();
        if (Close(got[..^1], want[1..])) return ExerciseCheck.Wrong(name, "each value is the next position's: an off-by-one in the position index (patch p, not p + 1).");
        if (Close(got[1..], want[..^1])) return ExerciseCheck.Wrong(name, "each value is the previous position's: an off-by-one in the position index (patch p, not p - 1).");
        for (int l = 0; l < nLayers; l++)
            if (l != layer && Close(values, Row(grid, l)))
                return ExerciseCheck.Wrong(name, $"that is layer {l}'s row: patch blocks.{layer}.hook_resid_pre.");
        var differing = Enumerable.Range(0, nPos).Where(p => !Close(values[p], want[p])).ToList();
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"position {grid.Labels[1][differing[0]]}: {values[differing[0]]:F4} nats, expected {want[differing[0]]:F4} (the first of {differing.Count} that differ). ") +
            "If every value is off, check the patched run: the corrupted tokens, with the clean activation written in.");
    }

    /// <summary>
    /// Exercise 6: the mean metric (nats) after patching one head's output <c>hook_z</c> at every position of the corrupted run
    /// with its clean value (the Output panel's cell <paramref name="layer"/>, <paramref name="head"/>).
    /// </summary>
    public static ExerciseCheck CheckHeadPatch(int layer, int head, double value) => Record(HeadPatch(layer, head, value));

    private static ExerciseCheck HeadPatch(int layer, int head, double value)
    {
        const string name = HeadPatchExercise;
        if (double.IsNaN(value)) return ExerciseCheck.NotDone(name);
        var setup = ExerciseToy.Instance.Setup;
        var cfg = setup.Model.Config;
        if (layer < 0 || layer >= cfg.NLayers || head < 0 || head >= cfg.NHeads)
            return ExerciseCheck.Wrong(name, $"L{layer}H{head} is not a head of this model ({cfg.NLayers} layers of {cfg.NHeads} heads).");
        double want = ReferenceEngine.Evaluate(setup, PatchTargets.HeadOutAllPos, [layer, head]);
        double normalised = AnswerMetric.Normalise(want, setup.CleanBaseline, setup.CorruptedBaseline);
        if (Close(value, want))
            return ExerciseCheck.Right(name, string.Create(CultureInfo.InvariantCulture, $"{value:F4} nats for L{layer}H{head} (normalised {normalised:F3}), as the Output panel."));
        if (SharedMistake(setup, PatchTargets.HeadOutAllPos, [layer, head], value, normalised) is { } mistake) return ExerciseCheck.Wrong(name, mistake);
        if (Close(value, CorruptedRunWithCleanZ(setup, layer)))
            return ExerciseCheck.Wrong(name, $"that patches every head of layer {layer}: hook_z is [batch, pos, head, d_head]; write only index {head} of the head axis (the third).");
        foreach (int h in Enumerable.Range(0, cfg.NHeads).Where(h => h != head))
            if (Close(value, ReferenceEngine.Evaluate(setup, PatchTargets.HeadOutAllPos, [layer, h])))
                return ExerciseCheck.Wrong(name, $"that is head {h}'s patch: check which axis of hook_z is the head ([batch, pos, head, d_head]).");
        if (Close(value, ReferenceEngine.Evaluate(setup, PatchTargets.HeadOutByPos, [layer, setup.NPos - 1, head])))
            return ExerciseCheck.Wrong(name, "that patches the last position only: the Output panel writes the head's clean output at every position.");
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"{value:F4} nats for L{layer}H{head}; expected {want:F4} (clean baseline {setup.CleanBaseline:F4}, corrupted {setup.CorruptedBaseline:F4})."));
    }

    /// <summary>
    /// The mistakes any single patch's value can show: the normalised value, no change at all, or the runs swapped (the
    /// clean run patched with the corrupted activation); null when it is none of them.
    /// </summary>
    private static string? SharedMistake(PatchingSetup setup, PatchTarget target, int[] index, double value, double normalised)
    {
        if (Close(value, normalised)) return "that is the normalised value: the check takes the metric in nats, before normalising.";
        if (Close(value, setup.CorruptedBaseline))
            return "that is the corrupted run's own metric: the patch changed nothing. Check the hook's name, that the hook writes the " +
                "clean activation into the tensor it returns, and that the run happens inside the hook's using block.";
        using var swapped = PatchingSetup.Create(setup.Model, setup.Corrupted, setup.Clean, setup.Metric);
        return Close(value, ReferenceEngine.Evaluate(swapped, target, index))
            ? "you patched the clean run with the corrupted activation: run the corrupted tokens and write the clean one in."
            : null;
    }

    private static double[] Row(PatchResult grid, int layer) => Enumerable.Range(0, (int)grid.Shape[1]).Select(p => grid[layer, p]).ToArray();

    /// <summary>The mean metric of the corrupted run with layer <paramref name="layer"/>'s whole <c>hook_z</c> (every head) clean.</summary>
    private static double CorruptedRunWithCleanZ(PatchingSetup setup, int layer)
    {
        string hook = HookName.Z(layer);
        var caches = setup.CachesFor(PatchTargets.HeadOutAllPos);
        caches.Ensure([hook]);
        var clean = caches.Clean[hook];
        using var scope = NewDisposeScope();
        using var mode = setup.ModeFor(PatchTargets.HeadOutAllPos);
        using var hooks = setup.Model.Hooks((hook, (_, _) => clean.clone()));
        var logits = setup.Model.Run(setup.CorruptedTokens, new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(setup.Model.ModelDevice) });
        return setup.Metric.PerPromptAtRead(logits).cpu().data<double>().Average();
    }
}
