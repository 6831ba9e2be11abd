using System.Globalization;
using IclNotebook.Metrics;
using IclNotebook.Patching;

namespace IclNotebook.Teaching;

/// <summary>
/// One check per exercise of the teaching notebook, each against the library's own result on the shipped toy model
/// (<see cref="ExerciseToy"/>): <c>Exercises.CheckPrompts(clean, corrupted)</c> and so on. A stub left as it is (null or
/// NaN) is "not done yet"; a wrong answer gets what differs and, where it matches a typical mistake, which one.
/// </summary>
public static class Exercises
{
    private const double Tolerance = 1e-4;

    /// <summary>
    /// Exercise 1: the clean and corrupted prompt texts of the toy's associative-recall task, one per query: the
    /// demonstrations (<c>{input} {label}</c>, one per line), then the query's input; in the corrupted prompts every
    /// demonstration label goes through the task's label map, all labels at once.
    /// </summary>
    public static ExerciseCheck CheckPrompts(IReadOnlyList<string>? clean, IReadOnlyList<string>? corrupted)
    {
        const string name = "prompts";
        if (clean is null || corrupted is null) return ExerciseCheck.NotDone(name);
        var want = ExerciseToy.Instance.Prompts;
        if (clean.Count != want.Count || corrupted.Count != want.Count)
            return ExerciseCheck.Wrong(name, $"expected one prompt per query ({want.Count}); got {clean.Count} clean and {corrupted.Count} corrupted.");
        for (int i = 0; i < want.Count; i++)
            if (clean[i] != want.CleanPrompts[i])
                return ExerciseCheck.Wrong(name, $"clean prompt {i} differs at character {FirstDifference(clean[i], want.CleanPrompts[i])}:\n" +
                    $"  yours:    {Show(clean[i])}\n  expected: {Show(want.CleanPrompts[i])}");
        var toy = ExerciseToy.Instance;
        IReadOnlyList<string>? sequential = null;   // the Colab's loop, built only for a wrong corrupted prompt
        for (int i = 0; i < want.Count; i++)
        {
            if (corrupted[i] == want.CorruptedPrompts[i]) continue;
            if (corrupted[i] == clean[i])
                return ExerciseCheck.Wrong(name, $"corrupted prompt {i} is its clean prompt: no label went through the map.");
            sequential ??= toy.Task.BuildPrompts(toy.Model.Tokenizer, Icl.CorruptionReplay.Sequential).CorruptedPrompts;
            if (corrupted[i] == sequential[i])
                return ExerciseCheck.Wrong(name, $"corrupted prompt {i}: the map was applied one label after another, so a label " +
                    "already mapped was mapped again (red → blue, then that blue → green). Map every label at once, from the clean labels.");
            return ExerciseCheck.Wrong(name, $"corrupted prompt {i} differs at character {FirstDifference(corrupted[i], want.CorruptedPrompts[i])}:\n" +
                $"  yours:    {Show(corrupted[i])}\n  expected: {Show(want.CorruptedPrompts[i])}");
        }
        return ExerciseCheck.Right(name, $"all {want.Count} clean and corrupted prompts are right.");
    }

    /// <summary>
    /// Exercise 2: the metric of each clean prompt, log P(answer) in nats read at the prompt's last real token (the
    /// library's <c>setup.CleanPerPrompt</c>).
    /// </summary>
    public static ExerciseCheck CheckMetric(IReadOnlyList<double>? perPrompt)
    {
        const string name = "metric";
        if (perPrompt is null || perPrompt.All(double.IsNaN)) return ExerciseCheck.NotDone(name);
        var toy = ExerciseToy.Instance;
        var want = toy.Setup.CleanPerPrompt;
        if (perPrompt.Count != want.Count) return ExerciseCheck.Wrong(name, $"expected one value per prompt ({want.Count}); got {perPrompt.Count}.");
        if (Close(perPrompt, want)) return ExerciseCheck.Right(name, $"log P(answer) of all {want.Count} prompts is right (mean {want.Average():F4} nats).");
        if (Close(perPrompt, want.Select(v => -v).ToArray()))
            return ExerciseCheck.Wrong(name, "every value has the wrong sign: the metric is log P(answer), not the loss -log P(answer).");
        if (Close(perPrompt, want.Select(Math.Exp).ToArray()))
            return ExerciseCheck.Wrong(name, "these are probabilities: the metric is their logarithm, log_softmax of the logits.");
        var raw = AlternativeRead(toy, logits: true, offset: 0);
        if (Close(perPrompt, raw))
            return ExerciseCheck.Wrong(name, "these are the answer's raw logits: take log_softmax over the vocabulary first.");
        if (Close(perPrompt, AlternativeRead(toy, logits: false, offset: -1)))
            return ExerciseCheck.Wrong(name, "read one position early: the next-token distribution after the prompt is at its last real token, " +
                "index length - 1 (the answer is not part of the prompt).");
        int worst = Enumerable.Range(0, want.Count).MaxBy(i => Math.Abs(perPrompt[i] - want[i]));
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"prompt {worst}: {perPrompt[worst]:F4}, expected {want[worst]:F4} (read at position {toy.Setup.Metric.ReadPositions[worst]}, answer token {toy.Prompts.AnswerTokenIds[worst]})."));
    }

    /// <summary>
    /// Exercise 3: the normalisation, as a function of (patched metric, clean baseline, corrupted baseline): 0 when the patch
    /// leaves the corrupted behaviour, 1 when it restores the clean one.
    /// </summary>
    public static ExerciseCheck CheckNormalise(Func<double, double, double, double>? normalise)
    {
        const string name = "normalisation";
        if (normalise is null) return ExerciseCheck.NotDone(name);
        (double M, double Clean, double Corrupted)[] cases = [(-1.0, -0.5, -3.0), (-3.0, -0.5, -3.0), (-0.5, -0.5, -3.0), (-4.0, -1.0, -2.0)];
        double[] got;
        try
        {
            got = cases.Select(c => normalise(c.M, c.Clean, c.Corrupted)).ToArray();
        }
        catch (NotImplementedException)
        {
            return ExerciseCheck.NotDone(name);
        }
        var want = cases.Select(c => AnswerMetric.Normalise(c.M, c.Clean, c.Corrupted)).ToArray();
        if (Close(got, want)) return ExerciseCheck.Right(name, "0 at the corrupted baseline, 1 at the clean one, and linear in between.");
        if (got.All(double.IsNaN)) return ExerciseCheck.NotDone(name);
        if (Close(got, cases.Select(c => c.M).ToArray())) return ExerciseCheck.Wrong(name, "this returns the metric itself: subtract the corrupted baseline and divide by (clean - corrupted).");
        if (Close(got, want.Select(w => 1 - w).ToArray()))
            return ExerciseCheck.Wrong(name, "the baselines are swapped: it gives 1 at the corrupted baseline and 0 at the clean one.");
        if (Close(got, want.Select(w => -w).ToArray())) return ExerciseCheck.Wrong(name, "wrong sign: divide by (clean - corrupted), not (corrupted - clean).");
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"normalise({cases[0].M}, clean {cases[0].Clean}, corrupted {cases[0].Corrupted}) gave {got[0]:G4}; expected {want[0]:G4}."));
    }

    /// <summary>
    /// Exercise 4: the mean metric after patching <c>resid_pre</c> of <paramref name="layer"/> at <paramref name="position"/>
    /// in the corrupted run with its clean value (what the library's residual grid holds at that cell, in nats).
    /// </summary>
    public static ExerciseCheck CheckResidPatch(int layer, int position, double value)
    {
        const string name = "resid_pre patch";
        if (double.IsNaN(value)) return ExerciseCheck.NotDone(name);
        var setup = ExerciseToy.Instance.Setup;
        var cfg = setup.Model.Config;
        if (layer < 0 || layer >= cfg.NLayers || position < 0 || position >= setup.NPos)
            return ExerciseCheck.Wrong(name, $"layer {layer}, position {position} is outside the grid ({cfg.NLayers} layers, {setup.NPos} positions).");
        double want = ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [layer, position]);
        string cell = $"layer {layer}, position {position}";
        double normalised = AnswerMetric.Normalise(want, setup.CleanBaseline, setup.CorruptedBaseline);
        if (Math.Abs(value - want) <= Tolerance)
            return ExerciseCheck.Right(name, string.Create(CultureInfo.InvariantCulture,
                $"{value:F4} nats at {cell}, as the library's grid (normalised {normalised:F3})."));
        if (Math.Abs(value - normalised) <= Tolerance)
            return ExerciseCheck.Wrong(name, "that is the normalised value: the check takes the metric in nats, before normalising.");
        using (var swapped = PatchingSetup.Create(setup.Model, setup.Corrupted, setup.Clean, setup.Metric))
            if (Math.Abs(value - ReferenceEngine.Evaluate(swapped, PatchTargets.ResidPre, [layer, position])) <= Tolerance)
                return ExerciseCheck.Wrong(name, "you patched the clean run with the corrupted activation: run the corrupted tokens and write the clean one in.");
        foreach (int p in new[] { position - 1, position + 1 }.Where(p => p >= 0 && p < setup.NPos))
            if (Math.Abs(value - ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [layer, p])) <= Tolerance)
                return ExerciseCheck.Wrong(name, $"that is the patch at position {p}: an off-by-one in the position index.");
        foreach (int l in new[] { layer - 1, layer + 1 }.Where(l => l >= 0 && l < cfg.NLayers))
            if (Math.Abs(value - ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [l, position])) <= Tolerance)
                return ExerciseCheck.Wrong(name, $"that is the patch at layer {l}: blocks.{layer}.hook_resid_pre is the input of block {layer}.");
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"{value:F4} nats at {cell}; expected {want:F4} (clean baseline {setup.CleanBaseline:F4}, corrupted {setup.CorruptedBaseline:F4})."));
    }

    /// <summary>Each clean prompt's answer read at its last real token + <paramref name="offset"/>: as a logit, or a log-probability.</summary>
    private static double[] AlternativeRead(ExerciseToy toy, bool logits, int offset)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var read = toy.Setup.Metric.ReadPositions.Select(p => (long)Math.Max(0, p + offset)).ToArray();
        var at = TorchSharp.torch.tensor(read, device: toy.Model.ModelDevice);
        var readLogits = toy.Model.Run(toy.Setup.CleanTokens, new Model.ForwardOptions { UnembedPositions = at });
        var values = logits ? readLogits : readLogits.log_softmax(-1);
        var ids = TorchSharp.torch.tensor(toy.Prompts.AnswerTokenIds.Select(a => (long)a).ToArray(), device: toy.Model.ModelDevice).unsqueeze(1);
        return values.gather(1, ids).squeeze(1).to(TorchSharp.torch.ScalarType.Float64).cpu().data<double>().ToArray();
    }

    private static bool Close(IReadOnlyList<double> got, IReadOnlyList<double> want) =>
        got.Count == want.Count && got.Zip(want).All(p => Math.Abs(p.First - p.Second) <= Tolerance);

    private static int FirstDifference(string a, string b) =>
        Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));

    private static string Show(string text) => text.Replace("\n", "↵", StringComparison.Ordinal);
}
