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
        Wrong(Exercises.CheckPrompts([clean[0], null!, clean[2], clean[3]], Toy.Prompts.CorruptedPrompts), "some prompts are null");
        Wrong(Exercises.CheckPrompts(clean.Select(p => p.Replace("\n", "\r\n", StringComparison.Ordinal)).ToArray(), Toy.Prompts.CorruptedPrompts),
            "a carriage return");
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
        Wrong(Exercises.CheckMetric([want[0], want[1], double.NaN, want[3]]), "prompt 2's value is NaN");
        Wrong(Exercises.CheckMetric([]), "got 0");
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
        Wrong(Exercises.CheckNormalise((m, clean, corrupted) => Math.Clamp((m - corrupted) / (clean - corrupted), 0, 1)),
            "normalise(-4, clean -1, corrupted -2) gave 0; expected -2");             // the first case that differs, not case 0
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
        Wrong(Exercises.CheckResidPatch(layer, position, setup.CorruptedBaseline), "the patch changed nothing");
    }

    [Fact]
    public void Positions_loop()
    {
        var grid = Toy.ResidPre;
        double[] Row(int layer) => Enumerable.Range(0, (int)grid.Shape[1]).Select(p => grid[layer, p]).ToArray();
        var want = Row(1);
        Assert.True(Exercises.CheckResidPositions(1, want).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckResidPositions(1, null).Outcome);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckResidPositions(1, want.Select(_ => double.NaN).ToArray()).Outcome);
        Wrong(Exercises.CheckResidPositions(1, want[..^1]), "one value short");
        Wrong(Exercises.CheckResidPositions(1, want.Select(v => AnswerMetric.Normalise(v, grid.CleanBaseline, grid.CorruptedBaseline)).ToArray()), "normalised values");
        Wrong(Exercises.CheckResidPositions(1, [.. want[1..], want[^1]]), "the next position's");
        Wrong(Exercises.CheckResidPositions(1, [want[0], .. want[..^1]]), "the previous position's");
        Wrong(Exercises.CheckResidPositions(1, Row(0)), "layer 0's row");
        var oneOff = want.ToArray();
        oneOff[5] += 0.25;
        Wrong(Exercises.CheckResidPositions(1, oneOff), "the first of 1 that differ");
    }

    [Fact]
    public void Head_patch()
    {
        // L0H2 (the exercise's head): in layer 0 a head's output at earlier positions reaches the answer through layer 1, so
        // patching the last position only differs (for a layer-1 head it would not).
        var setup = Toy.Setup;
        double Head(int layer, int head) => ReferenceEngine.Evaluate(setup, PatchTargets.HeadOutAllPos, [layer, head]);
        double want = Head(0, 2);
        Assert.True(Exercises.CheckHeadPatch(0, 2, want).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckHeadPatch(0, 2, double.NaN).Outcome);
        Wrong(Exercises.CheckHeadPatch(0, 2, AnswerMetric.Normalise(want, setup.CleanBaseline, setup.CorruptedBaseline)), "normalised value");
        using (var swapped = PatchingSetup.Create(setup.Model, setup.Corrupted, setup.Clean, setup.Metric))
            Wrong(Exercises.CheckHeadPatch(0, 2, ReferenceEngine.Evaluate(swapped, PatchTargets.HeadOutAllPos, [0, 2])), "patched the clean run");
        Wrong(Exercises.CheckHeadPatch(0, 2, Head(0, 3)), "that is head 3's patch");
        Wrong(Exercises.CheckHeadPatch(0, 2, ReferenceEngine.Evaluate(setup, PatchTargets.HeadOutByPos, [0, setup.NPos - 1, 2])), "the last position only");
        Wrong(Exercises.CheckHeadPatch(0, 2, AttentionOutputAllClean(0)), "patches every head of layer 0");
        Wrong(Exercises.CheckHeadPatch(0, 9, want), "not a head of this model");
    }

    /// <summary>Every head of a layer patched at once, from the definition: the layer's attention output, whole, from the clean run.</summary>
    private static double AttentionOutputAllClean(int layer)
    {
        var setup = Toy.Setup;
        var name = IclNotebook.Hooks.HookName.AttnOut(layer);
        var (_, cache) = setup.Model.RunWithCache(setup.CleanTokens, n => n == name);
        using (cache)
        using (setup.Model.Hooks((name, (_, _) => cache[name].clone())))
        {
            var logits = setup.Model.Run(setup.CorruptedTokens);
            return Enumerable.Range(0, Toy.Prompts.Count).Average(b =>
                (double)logits[b, setup.Metric.ReadPositions[b]].log_softmax(-1)[Toy.Prompts.AnswerTokenIds[b]].item<float>());
        }
    }

    [Fact]
    public void Five_panels()
    {
        var panels = Toy.Heads;
        int value = panels.Labels[0].ToList().IndexOf("Value"), output = panels.Labels[0].ToList().IndexOf("Output");
        var heads = Enumerable.Range(0, 2).SelectMany(l => Enumerable.Range(0, 4).Select(h => (L: l, H: h))).ToList();
        (int L, int H) Top(int panel) => heads.MaxBy(x => panels.Normalised[panels.Flat([panel, x.L, x.H])]);
        var want = Top(value);
        Assert.True(Exercises.CheckValueHead($"L{want.L}H{want.H}").Passed);
        Assert.True(Exercises.CheckValueHead($"l{want.L}h{want.H} ").Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckValueHead(null).Outcome);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckValueHead(" ").Outcome);
        Wrong(Exercises.CheckValueHead("1,0"), "is not a head of this model");
        Wrong(Exercises.CheckValueHead("L7H0"), "is not a head of this model");
        Assert.True(want.H < 2 && want.L != want.H, $"the swapped answer must be a head: Value's top is L{want.L}H{want.H}");
        Wrong(Exercises.CheckValueHead($"L{want.H}H{want.L}"), "layer and head are swapped");
        var outputTop = Top(output);
        Assert.NotEqual(want, outputTop);
        Wrong(Exercises.CheckValueHead($"L{outputTop.L}H{outputTop.H}"), "leads the Output panel, not Value");
        var tops = Enumerable.Range(0, panels.Labels[0].Count).Select(Top).ToHashSet();
        var other = heads.First(x => !tops.Contains(x) && x != (want.H, want.L));
        Wrong(Exercises.CheckValueHead($"L{other.L}H{other.H}"), "another head restores more");
    }

    [Fact]
    public void Circuit_heads()
    {
        var heads = Enumerable.Range(0, 2).SelectMany(l => Enumerable.Range(0, 4).Select(h => (L: l, H: h))).ToList();
        var previous = heads.MaxBy(x => Toy.PreviousTokenScores[x.L][x.H]);
        var induction = heads.MaxBy(x => Toy.QueryToLabelAttention[x.L][x.H]);
        Assert.True(previous.L == 0 && induction.L == 1, $"the toy's circuit: previous-token L{previous.L}H{previous.H}, induction L{induction.L}H{induction.H}");
        string P = $"L{previous.L}H{previous.H}", I = $"L{induction.L}H{induction.H}";
        Assert.True(Exercises.CheckCircuitHeads(P, I).Passed);
        Assert.Equal(CheckOutcome.NotDone, Exercises.CheckCircuitHeads(P, null).Outcome);
        Wrong(Exercises.CheckCircuitHeads(I, P), "the two heads are swapped");
        Wrong(Exercises.CheckCircuitHeads($"L1H{(induction.H + 1) % 4}", I), "in a later layer than the previous-token head");
        Wrong(Exercises.CheckCircuitHeads($"L0H{(previous.H + 1) % 4}", I), "one token back (pattern[p, p - 1] averaged over positions); another head scores more");
        Wrong(Exercises.CheckCircuitHeads(P, $"L0H{(previous.H + 1) % 4}"), "is not after the previous-token head");
        Wrong(Exercises.CheckCircuitHeads(P, $"L1H{(induction.H + 1) % 4}"), "Read the pattern at the query's row");
        Wrong(Exercises.CheckCircuitHeads("previous", I), "is not a head of this model");
    }

    [Fact]
    public void The_summary_holds_each_exercises_latest_check_and_saves_as_json()
    {
        Exercises.CheckNormalise((m, c, k) => m);
        Exercises.CheckNormalise(AnswerMetric.Normalise);
        var summary = Exercises.Summary();
        Assert.Equal(Exercises.Names, summary.Checks.Select(c => c.Exercise));
        Assert.Equal(CheckOutcome.Right, summary.Checks.Single(c => c.Exercise == "normalisation").Outcome);
        using var temp = new TempFolder("icl-grades");
        summary.Save(temp["grades.json"]);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(temp["grades.json"]));
        var exercises = json.RootElement.GetProperty("exercises");
        Assert.Equal(8, exercises.GetArrayLength());
        Assert.Equal(summary.Right, json.RootElement.GetProperty("right").GetInt32());
        Assert.Equal("right", exercises.EnumerateArray().Single(e => e.GetProperty("exercise").GetString() == "normalisation").GetProperty("outcome").GetString());
        Assert.False(File.Exists(temp["grades.json.tmp"]));
        var missing = Assert.Throws<IclException>(() => summary.Save(temp["no-such-folder/grades.json"]));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }
}
