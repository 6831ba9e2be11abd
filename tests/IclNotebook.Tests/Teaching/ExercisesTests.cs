using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Patching;
using IclNotebook.Teaching;

namespace IclNotebook.Tests.Teaching;

/// <summary>
/// Each exercise's check: the library's own answer is right, the stub is "not done yet", and each typical wrong answer gets
/// its own message.
/// </summary>
public class ExercisesTests
{
    private static ExerciseToy Toy => ExerciseToy.Instance;

    private static void Wrong(ExerciseCheck check, string expected)
    {
        Assert.Equal(CheckOutcome.Wrong, check.Outcome);
        Assert.Contains(expected, check.Message, StringComparison.Ordinal);
        Assert.StartsWith("✘ ", check.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Prompts()
    {
        var clean = Toy.Prompts.CleanPrompts;
        Assert.True(Exercises.CheckPrompts(clean, Toy.Prompts.CorruptedPrompts).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckPrompts(null, null).Outcome);
        Wrong(Exercises.CheckPrompts(clean, clean), "no label went through the map");
        var sequential = Toy.Task.BuildPrompts(Toy.Model.Tokenizer, CorruptionReplay.Sequential).CorruptedPrompts;
        Wrong(Exercises.CheckPrompts(clean, sequential), "one label after another");
        Wrong(Exercises.CheckPrompts(clean.Select(p => p.Replace("\n", " \n", StringComparison.Ordinal)).ToArray(), Toy.Prompts.CorruptedPrompts),
            "clean prompt 0 differs at character 9");
        Wrong(Exercises.CheckPrompts(clean.Take(2).ToArray(), Toy.Prompts.CorruptedPrompts), "one prompt per query (4)");
    }

    [Fact]
    public void Metric()
    {
        var want = Toy.Setup.CleanPerPrompt;
        Assert.True(Exercises.CheckMetric(want).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckMetric(null).Outcome);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckMetric([double.NaN, double.NaN, double.NaN, double.NaN]).Outcome);
        Wrong(Exercises.CheckMetric(want.Select(v => -v).ToArray()), "wrong sign");
        Wrong(Exercises.CheckMetric(want.Select(Math.Exp).ToArray()), "these are probabilities");

        // The typical read mistakes, computed here from the definition.
        using var scope = TorchSharp.torch.NewDisposeScope();
        double[] Read(int offset, bool logSoftmax)
        {
            var at = TorchSharp.torch.tensor(Toy.Setup.Metric.ReadPositions.Select(p => (long)(p + offset)).ToArray());
            var logits = Toy.Model.Run(Toy.Setup.CleanTokens, new IclNotebook.Model.ForwardOptions { UnembedPositions = at });
            if (logSoftmax) logits = logits.log_softmax(-1);
            return Enumerable.Range(0, Toy.Prompts.Count).Select(b => logits[b, Toy.Prompts.AnswerTokenIds[b]].item<float>()).Select(v => (double)v).ToArray();
        }
        Wrong(Exercises.CheckMetric(Read(0, logSoftmax: false)), "raw logits");
        Wrong(Exercises.CheckMetric(Read(-1, logSoftmax: true)), "read one position early");
        Wrong(Exercises.CheckMetric(want.Select(v => v + 0.5).ToArray()), "prompt 0:");
    }

    [Fact]
    public void Normalisation()
    {
        Assert.True(Exercises.CheckNormalise(AnswerMetric.Normalise).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckNormalise(null).Outcome);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckNormalise((m, c, k) => throw new NotImplementedException()).Outcome);
        Wrong(Exercises.CheckNormalise((m, clean, corrupted) => m), "returns the metric itself");
        Wrong(Exercises.CheckNormalise((m, clean, corrupted) => (m - clean) / (corrupted - clean)), "the baselines are swapped");
        Wrong(Exercises.CheckNormalise((m, clean, corrupted) => (m - corrupted) / (corrupted - clean)), "wrong sign");
    }

    [Fact]
    public void Residual_patch()
    {
        var setup = Toy.Setup;
        const int layer = 1, position = 11;   // query 0 asks cloud, whose label sits at position 11
        double Cell(int l, int p) => ReferenceEngine.Evaluate(setup, PatchTargets.ResidPre, [l, p]);
        double want = Cell(layer, position);
        Assert.True(Exercises.CheckResidPatch(layer, position, want).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckResidPatch(layer, position, double.NaN).Outcome);
        Wrong(Exercises.CheckResidPatch(layer, position, AnswerMetric.Normalise(want, setup.CleanBaseline, setup.CorruptedBaseline)), "normalised value");
        using (var swapped = PatchingSetup.Create(setup.Model, setup.Corrupted, setup.Clean, setup.Metric))
            Wrong(Exercises.CheckResidPatch(layer, position, ReferenceEngine.Evaluate(swapped, PatchTargets.ResidPre, [layer, position])),
                "patched the clean run");
        Assert.True(Math.Abs(Cell(layer, position + 1) - want) > 1e-3, "the neighbouring cell must differ for the test to mean anything");
        Wrong(Exercises.CheckResidPatch(layer, position, Cell(layer, position + 1)), "off-by-one");
        Assert.True(Math.Abs(Cell(0, position) - want) > 1e-3);
        Wrong(Exercises.CheckResidPatch(layer, position, Cell(0, position)), "patch at layer 0");
        Wrong(Exercises.CheckResidPatch(layer, 999, want), "outside the grid");
    }
}
