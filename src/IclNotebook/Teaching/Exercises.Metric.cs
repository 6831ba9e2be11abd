using System.Globalization;
using IclNotebook.Metrics;

namespace IclNotebook.Teaching;

public static partial class Exercises
{
    /// <summary>
    /// Exercise 2: the metric of each clean prompt, log P(answer) in nats read at the prompt's last real token (the
    /// library's <c>setup.CleanPerPrompt</c>).
    /// </summary>
    public static ExerciseCheck CheckMetric(IReadOnlyList<double>? perPrompt) => Record(Metric(perPrompt));

    private static ExerciseCheck Metric(IReadOnlyList<double>? perPrompt)
    {
        const string name = MetricExercise;
        if (perPrompt is null || perPrompt.Count > 0 && perPrompt.All(double.IsNaN)) return ExerciseCheck.NotDone(name);
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
        if (Enumerable.Range(0, want.Count).FirstOrDefault(i => !double.IsFinite(perPrompt[i]), -1) is var bad and >= 0)
            return ExerciseCheck.Wrong(name, $"prompt {bad}'s value is {perPrompt[bad]}: log P(answer) is a finite number of nats for every prompt.");
        int worst = Enumerable.Range(0, want.Count).MaxBy(i => Math.Abs(perPrompt[i] - want[i]));
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"prompt {worst}: {perPrompt[worst]:F4}, expected {want[worst]:F4} (read at position {toy.Setup.Metric.ReadPositions[worst]}, answer token {toy.Prompts.AnswerTokenIds[worst]})."));
    }

    /// <summary>
    /// Exercise 3: the normalisation, as a function of (patched metric, clean baseline, corrupted baseline): 0 when the patch
    /// leaves the corrupted behaviour, 1 when it restores the clean one.
    /// </summary>
    public static ExerciseCheck CheckNormalise(Func<double, double, double, double>? normalise) => Record(Normalise(normalise));

    private static ExerciseCheck Normalise(Func<double, double, double, double>? normalise)
    {
        const string name = NormaliseExercise;
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
        int c = Enumerable.Range(0, cases.Length).First(i => !(Math.Abs(got[i] - want[i]) <= Tolerance));
        return ExerciseCheck.Wrong(name, string.Create(CultureInfo.InvariantCulture,
            $"normalise({cases[c].M}, clean {cases[c].Clean}, corrupted {cases[c].Corrupted}) gave {got[c]:G4}; expected {want[c]:G4}."));
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

}
