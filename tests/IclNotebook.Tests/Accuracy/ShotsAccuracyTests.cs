using IclNotebook.Accuracy;
using IclNotebook.Icl;
using IclNotebook.Icl.Datasets;
using IclNotebook.Model;
using IclNotebook.Tests.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Accuracy;

/// <summary>
/// <c>icl accuracy</c>'s scores (issue 28): the batched, teacher-forced scoring equals scoring each prompt alone from the
/// definition, and the k-shot prompts show each query the first k of its own demonstrations.
/// </summary>
public class ShotsAccuracyTests(ModelFixture fixture) : IClassFixture<ModelFixture>
{
    private static string Dataset(string name) => Path.Combine(AppContext.BaseDirectory, "data", "datasets", "function-vectors", "abstractive", name + ".json");

    /// <summary>The reference: one prompt at a time, unpadded, every position's logits, log-softmax in float64.</summary>
    private static AnswerScore Alone(HookedTransformer model, int[] prompt, int[] answer)
    {
        using var scope = NewDisposeScope();
        var sequence = prompt.Concat(answer.SkipLast(1)).Select(t => (long)t).ToArray();
        var logProbs = model.Run(tensor(sequence, [1, sequence.Length])).to(float64).log_softmax(-1)[0];   // [pos, d_vocab]
        double whole = 0;
        for (int j = 0; j < answer.Length; j++) whole += logProbs[prompt.Length - 1 + j, answer[j]].item<double>();
        bool top1 = logProbs[prompt.Length - 1].argmax().item<long>() == answer[0];
        return new AnswerScore(top1, logProbs[prompt.Length - 1, answer[0]].item<double>(), whole, answer.Length);
    }

    [Fact]
    public void Batched_scores_equal_each_prompt_scored_alone()
    {
        var model = fixture.Get(WeightProcessing.Default);
        var task = DatasetTask.Build(PairDataset.Load(Dataset("country-capital")), "capitals", new DatasetSampling(3, 12, 4));
        var texts = Enumerable.Range(0, 12).Select(q => task.PromptText(q, q % 4)).ToArray();          // 0-3 shots: lengths differ
        var tokens = model.Tokenizer.ToTokens(texts);
        var answers = texts.Select((t, q) => model.Tokenizer.AnswerTokens(t, task.FormatAnswer(task.Queries[q].Label))).ToArray();
        Assert.Contains(answers, a => a.Length > 2);
        var batched = AnswerScores.Score(model, tokens.Ids, answers, tokens.PadId);
        for (int q = 0; q < texts.Length; q++)
        {
            var alone = Alone(model, tokens.Ids[q], answers[q]);
            Assert.Equal(alone.Top1, batched[q].Top1);
            Assert.Equal(alone.FirstTokenLogProb, batched[q].FirstTokenLogProb, 1e-4);
            Assert.Equal(alone.AnswerLogProb, batched[q].AnswerLogProb, 1e-4);
        }
    }

    [Fact]
    public void Each_shot_count_shows_the_first_k_of_the_querys_own_demonstrations()
    {
        var task = DatasetTask.Build(PairDataset.Load(Dataset("antonym")), "antonym", new DatasetSampling(4, 3, 2));
        var q = task.Queries[1];
        Assert.Equal($"Q: {q.Input}\nA:", task.PromptText(1, 0));
        var demo = task.DemosOf(1)[0];
        Assert.Equal($"Q: {demo.Input}\nA: {demo.Label}\n\nQ: {q.Input}\nA:", task.PromptText(1, 1));
        Assert.StartsWith(task.PromptText(1, 3)[..^($"Q: {q.Input}\nA:".Length)], task.PromptText(1, 4), StringComparison.Ordinal);
        var e = Assert.Throws<IclException>(() => task.PromptText(1, 5));
        Assert.Contains("has 4 demonstrations, so 5 shots cannot be shown", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Measure_keeps_every_prompts_scores_and_reports_their_mean()
    {
        var model = fixture.Get(WeightProcessing.Default);
        var task = DatasetTask.Build(PairDataset.Load(Dataset("antonym")), "antonym", new DatasetSampling(2, 9, 1));
        var rows = ShotsAccuracy.Measure(model, task, [0, 2]);
        Assert.Equal([0, 2], rows.Select(r => r.Shots));
        foreach (var row in rows)
        {
            Assert.Equal(9, row.Prompts.Count);
            Assert.Equal(row.Prompts.Average(p => p.Top1 ? 1.0 : 0.0), row.Accuracy.Mean, 12);
            Assert.Equal(row.Prompts.Average(p => p.AnswerLogProb), row.AnswerLogProb.Mean, 12);
            Assert.InRange(row.AnswerLogProb.Mean, row.AnswerLogProb.Low, row.AnswerLogProb.High);
            Assert.All(row.Prompts, p => Assert.True(p.AnswerLogProb <= p.FirstTokenLogProb + 1e-9));
        }
    }
}
