using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using IclNotebook.Toy;

namespace IclNotebook.Tests.Toy;

/// <summary>The trainer on a test-sized config: it learns, it is deterministic, and it writes a folder the kit reads.</summary>
[Trait(Lane.Name, Lane.Full)]
public class ToyTrainerTests
{
    private static readonly ToyTrainingOptions Small = new()
    {
        Layers = 1, Heads = 2, DModel = 16, DMlp = 32, Context = 32, Steps = 40, BatchSize = 16,
        WarmupSteps = 5, LearningRate = 3e-3, MaxDemos = 6, EvalEvery = 20, HeldOut = 32, Seed = 9, StopAt = 0,
    };

    [Fact]
    public void A_short_run_learns_the_label_set_and_repeats_itself_exactly()
    {
        using var a = ToyTrainer.Train(Small);
        using var b = ToyTrainer.Train(Small);
        Assert.Equal(2, a.Curve.Count);
        Assert.All(a.Curve, p => Assert.InRange(p.MostDemos, Small.MinDemos, Small.MaxDemos));
        Assert.Equal([20, 40], a.Curve.Select(p => p.Step));
        // Learning: the held-out loss falls between the two measurements and below ln(50257) = 10.8 nats (uniform over the vocabulary).
        Assert.True(a.Final.HeldOutLoss < a.Curve[0].HeldOutLoss && a.Final.HeldOutLoss < Math.Log(50257), $"held-out loss {a.Curve[0].HeldOutLoss} -> {a.Final.HeldOutLoss}");
        Assert.Equal(0, a.HeldOutSeenInTraining);
        Assert.Equal(a.Curve.Select(p => (p.Loss, p.HeldOutAccuracy, p.HeldOutLoss)), b.Curve.Select(p => (p.Loss, p.HeldOutAccuracy, p.HeldOutLoss)));
        var wa = a.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in b.Model.named_parameters())
            Assert.True(p.equal(wa[name]).all().item<bool>(), $"{name} differs between two runs with one seed");
        using var c = ToyTrainer.Train(Small with { Seed = 10 });
        Assert.NotEqual(a.Final.Loss, c.Final.Loss);
    }

    [Fact]
    public void Training_stops_at_the_first_measurement_past_the_bar_once_every_demonstration_count_is_allowed()
    {
        // Two demonstrations only: the curriculum is at its most from the start, so any measurement can stop,
        // and a label copied from the context is right half the time.
        var two = Small with { MaxDemos = 2, Steps = 200, EvalEvery = 50, LearningRate = 1e-2, Task = Small.Task with { Demos = 2 } };
        using var full = ToyTrainer.Train(two);
        Assert.Equal([50, 100, 150, 200], full.Curve.Select(p => p.Step));
        double bar = full.Curve.Max(p => p.HeldOutAccuracy);
        Assert.True(bar > 0, $"the test needs a run that answers some held-out sequence right: {string.Join(", ", full.Curve)}");
        int first = full.Curve.First(p => p.HeldOutAccuracy >= bar).Step;
        using var stopped = ToyTrainer.Train(two with { StopAt = bar });
        Assert.Equal(full.Curve.TakeWhile(p => p.Step <= first).Select(p => (p.Step, p.Loss, p.HeldOutAccuracy)), stopped.Curve.Select(p => (p.Step, p.Loss, p.HeldOutAccuracy)));
        Assert.Equal(2, stopped.Final.MostDemos);
        Assert.True(first < 200, $"the bar {bar} is first reached at the last step: nothing to stop");
    }

    [Fact]
    public void Every_weight_is_trained()
    {
        using var before = ToyTrainer.Train(Small with { Steps = 1, LearningRate = 1e-12, WarmupSteps = 0 });
        using var after = ToyTrainer.Train(Small with { Steps = 5 });
        var start = before.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // b_K's gradient is zero in exact arithmetic (q . b_K is the same for every key of a query,
        // and softmax ignores a constant), so it is left out; b_U stays zero (GPT-2 has none) and W_U follows W_E.
        var still = after.Model.named_parameters()
            .Where(p => !p.name.EndsWith("attn.b_K", StringComparison.Ordinal) && p.name != StateDictKey.BU)
            .Select(p => (p.name, Moved: TensorAssert.MaxAbsDiff(start[p.name], p.parameter)))
            .Where(x => x.Moved < 1e-4f).Select(x => $"{x.name} ({x.Moved})").ToList();
        Assert.True(still.Count == 0, "not trained: " + string.Join(", ", still));
    }

    [Fact]
    public void The_written_folder_is_a_gpt2_checkpoint_whose_record_measures_its_own_weights()
    {
        using var run = ToyTrainer.Train(Small with { Steps = 20 });
        using var temp = new TempFolder("icl-toy");
        var folder = temp["toy"];                                                   // not there yet: Write makes it
        var record = ToyModelFolder.Write(run, folder, force: false, "icl train-toy --steps 20", threads: 2);
        Assert.Equal(["README.md", "config.json", "model.safetensors", "training.json"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var model = ModelLoader.LoadFolder(folder);
        var again = RecallAccuracy.Measure(model, Small.Task, ToyModelFolder.ShippedSequences);
        Assert.Equal(again, record.Shipped);
        Assert.Equal(Enumerable.Range(Small.MinDemos, Small.MaxDemos - Small.MinDemos + 1), record.ShippedByDemos.Keys);
        Assert.Contains("icl train-toy --steps 20", File.ReadAllText(Path.Combine(folder, "README.md")), StringComparison.Ordinal);
        Assert.Contains("\"Shipped\"", File.ReadAllText(Path.Combine(folder, "training.json")), StringComparison.Ordinal);
        var refused = Assert.Throws<IclException>(() => ToyModelFolder.Write(run, folder, false, "again", 2));
        Assert.Contains("already exists", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_training_vocabulary_holds_the_tasks_tokens_first_then_distinct_seeded_competitors()
    {
        var layout = new RecallTokens(Small.Task with { Labels = Small.TrainingLabels }, new Gpt2Tokenizer());
        var task = layout.All.Distinct().ToArray();
        Assert.Equal(2 + Small.Task.Inputs.Count + Small.TrainingLabels.Count, task.Length);
        var vocab = new TrainingVocabulary(layout.All, 50257, 100, seed: 3);
        Assert.Equal(task, vocab.Global.Take(task.Length));
        Assert.Equal(task.Length + 100, vocab.Global.Distinct().Count());
        Assert.Equal(vocab.Global, new TrainingVocabulary(layout.All, 50257, 100, seed: 3).Global);
        Assert.NotEqual(vocab.Global, new TrainingVocabulary(layout.All, 50257, 100, seed: 4).Global);
        Assert.All(task, t => Assert.Equal(t, vocab.Global[vocab.Local(t)]));
        Assert.Equal(50257, new TrainingVocabulary(layout.All, 50257, 60000, seed: 3).Count);   // at least the vocabulary: the full softmax
    }

    [Fact]
    public void The_learning_rate_warms_up_then_decays_to_a_tenth()
    {
        var o = new ToyTrainingOptions { Steps = 1000, WarmupSteps = 100, LearningRate = 1e-3 };
        Assert.Equal(1e-5, ToyTrainer.LearningRate(o, 1), 12);
        Assert.Equal(1e-3, ToyTrainer.LearningRate(o, 100), 12);
        Assert.Equal(0.55e-3, ToyTrainer.LearningRate(o, 550), 12);
        Assert.Equal(1e-4, ToyTrainer.LearningRate(o, 1000), 12);
    }

    [Theory]
    [InlineData(nameof(ToyTrainingOptions.DModel), "--d-model (60) must be a positive multiple of --heads (8)")]
    [InlineData(nameof(ToyTrainingOptions.MaxDemos), "longer than --context 64")]
    [InlineData(nameof(ToyTrainingOptions.MinDemos), "--min-demos (13) must be between 1 and --max-demos (12)")]
    public void Settings_that_cannot_work_are_named(string setting, string message)
    {
        var o = setting switch
        {
            nameof(ToyTrainingOptions.DModel) => new ToyTrainingOptions { DModel = 60, Heads = 8 },
            nameof(ToyTrainingOptions.MaxDemos) => new ToyTrainingOptions { MaxDemos = 20 },
            _ => new ToyTrainingOptions { MinDemos = 13 },
        };
        Assert.Contains(message, Assert.Throws<IclException>(() => ToyTrainer.Train(o)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trainers_tokens_are_the_kits_prompt_tokens()
    {
        var tokenizer = new Gpt2Tokenizer();
        var recall = new AssociativeRecall();
        var layout = new RecallTokens(recall, tokenizer);
        foreach (int demos in new[] { 1, 6, 15 })
            foreach (var sequence in (recall with { Demos = demos }).Sequences(20, 1000))
            {
                var prompts = sequence.BuildPrompts(tokenizer);
                var (tokens, answer) = layout.Of(sequence);
                Assert.Equal(prompts.CleanTokens.Ids[0].Select(i => (long)i), tokens);
                Assert.Equal(prompts.AnswerTokenIds[0], answer);
            }
        var e = Assert.Throws<IclException>(() => new RecallTokens(recall with { Inputs = ["apple", "ocean"] }, tokenizer));
        Assert.Contains("input 'ocean' is 2 tokens", e.Message, StringComparison.Ordinal);
    }
}
