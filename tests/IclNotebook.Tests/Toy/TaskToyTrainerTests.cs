using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.TaskVectors;
using IclNotebook.Tokenization;
using IclNotebook.Toy;

namespace IclNotebook.Tests.Toy;

/// <summary>The task toy's batches and trainer on a test-sized config.</summary>
public class TaskToyTrainerTests
{
    private static readonly TaskToyOptions Small = new()
    {
        Layers = 2, Heads = 2, DModel = 16, DMlp = 32, Context = 48, Steps = 6, BatchSize = 8, WarmupSteps = 2, MaxDemos = 6,
        Negatives = 64, EvalEvery = 6,
    };

    [Fact]
    public void A_batch_holds_one_task_per_row_a_dummy_query_and_a_fresh_query_alone()
    {
        var tasks = Small.Tasks.Select(n => IclTask.Load(TaskFiles.Resolve(n))).ToArray();
        var layout = new TaskToyTokens(tasks, new Gpt2Tokenizer());
        var vocab = new TrainingVocabulary(layout.All, 50257, 0, 1);
        int repeated = 0;
        for (int step = 1; step <= 20; step++)
        {
            using var batch = TaskToyBatch.Draw(Small with { BatchSize = 32 }, layout, vocab, step);
            var tokens = batch.Tokens.data<long>().ToArray();
            int length = (int)batch.Tokens.shape[1];
            var alone = batch.Alone.data<long>().ToArray();
            var answers = batch.AloneLabels.data<long>().ToArray();
            for (int i = 0; i < 32; i++)
            {
                var row = tokens.Skip(i * length).Take(length).ToArray();
                int demos = row.Count(t => t == vocab.Local(layout.Arrow)) - 1;
                var inputs = Enumerable.Range(0, demos).Select(d => row[length - 2 - 4 * (d + 1)]).ToArray();
                long dummy = row[^2], query = alone[i * 3 + 1];
                Assert.NotEqual(dummy, query);
                Assert.DoesNotContain(query, inputs);                              // the real query is never a demonstration
                if (inputs.Contains(dummy)) repeated++;
                int k = Enumerable.Range(0, tasks.Length).Single(t =>              // the demonstrations' labels name one task
                    Enumerable.Range(0, layout.Pairs(t)).Any(p => vocab.Local(layout.Label(t, p)) == row[length - 4]));
                int pair = Enumerable.Range(0, layout.Pairs(k)).Single(p => vocab.Local(layout.Input(k, p)) == query);
                Assert.Equal(vocab.Local(layout.Label(k, pair)), answers[i]);      // the query alone's answer is that task's
            }
        }
        Assert.InRange(repeated / 640.0, 0.4, 0.6);                               // DummyRepeats 0.5
    }

    [Fact]
    public void Every_target_is_an_arrow_followed_by_its_label_and_the_query_alone_is_bos_input_arrow()
    {
        var tasks = Small.Tasks.Select(n => IclTask.Load(TaskFiles.Resolve(n))).ToArray();
        var layout = new TaskToyTokens(tasks, new Gpt2Tokenizer());
        var vocab = new TrainingVocabulary(layout.All, 50257, 0, 1);
        using var batch = TaskToyBatch.Draw(Small, layout, vocab, step: 3);
        var flat = batch.Tokens.data<long>().ToArray();
        var targets = batch.Targets.data<long>().ToArray();
        var labels = batch.Labels.data<long>().ToArray();
        long length = batch.Tokens.shape[1], arrow = vocab.Local(layout.Arrow);
        Assert.All(targets, t => Assert.Equal(arrow, flat[t]));
        for (int i = 0; i < targets.Length; i++)
            if ((targets[i] + 1) % length != 0) Assert.Equal(labels[i], flat[targets[i] + 1]);            // a demonstration's label follows it
        Assert.Equal(Small.BatchSize, targets.Count(t => (t + 1) % length == 0));                         // one query answer per row
        var alone = batch.Alone.data<long>().ToArray();
        for (int i = 0; i < Small.BatchSize; i++)
            Assert.Equal((vocab.Local(layout.Bos), arrow), (alone[3 * i], alone[3 * i + 2]));
    }

    [Fact]
    public void Settings_that_cannot_work_are_refused_by_their_option()
    {
        var e = Assert.Throws<IclException>(() => (Small with { VectorLayer = 2 }).Validate());
        Assert.Contains("--vector-layer must be between 1 and 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<IclException>(() => (Small with { MaxDemos = 12 }).Validate());
        Assert.Contains("longer than --context 48", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait(Lane.Name, Lane.Full)]
    public void A_short_run_measures_its_curve_and_trains_the_vector_loss_only_when_asked()
    {
        using var run = TaskToyTrainer.Train(Small);
        var point = Assert.Single(run.Curve);
        Assert.Equal(6, point.Step);
        Assert.True(point.Loss > 0 && point.VectorLoss > 0, point.ToString());
        Assert.InRange(point.InContext, 0, 1);

        using var temp = new TempFolder("icl-task-toy");
        var folder = temp["toy"];
        var record = TaskToyFolder.Write(run, folder, force: false, "icl train-task-toy --steps 6", threads: 2);
        Assert.Equal(["README.md", "config.json", "model.safetensors", "training.json"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var model = ModelLoader.LoadFolder(folder))
        {
            var again = TaskVectorAnalysis.Run(model, IclTask.Load(TaskFiles.Resolve(Small.Tasks[1])));   // the record is the folder's own analysis
            Assert.Equal(again.Layers.Select(l => l.Accuracy), record.Shipped[1].Layers);
            Assert.Equal(again.ZeroShotAccuracy, record.Shipped[1].ZeroShot);
        }
        Assert.Contains("icl train-task-toy --steps 6", File.ReadAllText(Path.Combine(folder, "README.md")), StringComparison.Ordinal);
        using var plain = TaskToyTrainer.Train(Small with { VectorWeight = 0 });
        Assert.Equal(0, plain.Curve[0].VectorLoss);
        var trained = run.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);   // same seed and data: only the loss differs
        Assert.Contains(plain.Model.named_parameters(), p => !p.parameter.equal(trained[p.name]).all().item<bool>());
    }
}
