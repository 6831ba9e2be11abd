using IclNotebook.Anchors;
using IclNotebook.Icl;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Anchors;

/// <summary>The flows against the paper's get_proportion (whole-matrix sums, diagonal zeroed) and the label positions on the sentiment task.</summary>
public class InformationFlowTests
{
    [Fact]
    public void Flows_equal_the_papers_get_proportion()
    {
        var rng = new Random(4);
        int n = 30;
        var s = new float[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) s[i, j] = (float)rng.NextDouble();
        int[] labels = [5, 11, 19, 26];
        int q = n - 1;
        var flow = InformationFlow.Of(s, labels, q);

        // get_proportion: fill_diagonal(0); p1 = sum of label rows; p2 = sum of saliency[q, labels]; p3 = total - p1 - p2,
        // divided by sum(labels), len(labels) and (N+1)N/2 - sum(labels) - len(labels).
        var z = (float[,])s.Clone();
        for (int i = 0; i < n; i++) z[i, i] = 0;
        double total = 0, p1 = 0, p2 = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) total += z[i, j];
        foreach (int p in labels) { for (int j = 0; j < n; j++) p1 += z[p, j]; p2 += z[q, p]; }
        double sum3 = (q + 1.0) * q / 2 - labels.Sum() - labels.Length;
        Assert.Equal(p1 / labels.Sum(), flow.TextToLabel, 1e-9);
        Assert.Equal(p2 / labels.Length, flow.LabelToTarget, 1e-9);
        Assert.Equal((total - p1 - p2) / sum3, flow.Other, 1e-9);
    }

    [Fact]
    public void Label_positions_are_the_demonstrations_label_tokens()
    {
        var task = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json"));
        var tokenizer = new Gpt2Tokenizer();
        var prompts = task.BuildPrompts(tokenizer);
        var positions = LabelPositions.Find(task, tokenizer, prompts.CleanPrompts[0], prompts.CleanTokens.Ids[0]);
        Assert.Equal(task.Demos.Count, positions.Count);
        Assert.Equal(task.Demos.Select(d => " " + d.Label), positions.Select(p => tokenizer.Decode(prompts.CleanTokens.Ids[0][p])));
        Assert.True(positions.Zip(positions.Skip(1)).All(x => x.First < x.Second));
    }

    [Fact]
    public async Task Label_positions_work_with_a_sentencepiece_tokenizer()
    {
        var task = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json"));
        var tokenizer = await IclNotebook.Loading.ModelSource.LoadTokenizerAsync(Path.Combine(Fixtures.Root, "models", "tiny-llama-a"));
        var prompts = task.BuildPrompts(tokenizer);
        var positions = LabelPositions.Find(task, tokenizer, prompts.CleanPrompts[1], prompts.CleanTokens.Ids[1]);
        var words = positions.Select(p => tokenizer.Decode(prompts.CleanTokens.Ids[1][p]).Trim()).ToArray();
        Assert.Equal(task.Demos.Select(d => d.Label), words.Where(w => w.Length > 0).Take(task.Demos.Count));
    }
}
