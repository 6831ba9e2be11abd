using IclNotebook.Icl;
using IclNotebook.Icl.Datasets;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Icl;

/// <summary>
/// Dataset tasks (issue 28): a pairs file becomes a task whose prompts are sampled, reproducibly, with queries never among
/// their own demonstrations and outputs at their dataset frequencies; the prompts keep clean and corrupted lengths equal
/// and read the first token of a longer answer.
/// </summary>
public sealed class DatasetTaskTests : IDisposable
{
    private static readonly Gpt2Tokenizer Tok = new();
    private readonly TempFolder _dir = new("icl-dataset-task");

    public void Dispose() => _dir.Dispose();

    private static string Dataset(string name) =>
        Path.Combine(AppContext.BaseDirectory, "data", "datasets", "function-vectors", name.StartsWith("choose", StringComparison.Ordinal)
            ? "extractive" : "abstractive", name + ".json");

    private static IclTask Sampled(string name, int shots, int prompts, long seed, IclCorruption? corruption = null) =>
        DatasetTask.Build(PairDataset.Load(Dataset(name)), name, new DatasetSampling(shots, prompts, seed), corruption);

    [Fact]
    public void The_same_seed_gives_the_same_prompts_and_another_seed_others()
    {
        var a = Sampled("antonym", 10, 25, 7).BuildPrompts(Tok);
        var b = Sampled("antonym", 10, 25, 7).BuildPrompts(Tok);
        var c = Sampled("antonym", 10, 25, 8).BuildPrompts(Tok);
        Assert.Equal(a.CleanPrompts, b.CleanPrompts);
        Assert.Equal(a.CorruptedPrompts, b.CorruptedPrompts);
        Assert.NotEqual(a.CleanPrompts, c.CleanPrompts);
        // Pinned: the generator is SplitMix64, so these are the prompts on every machine and runtime.
        Assert.Equal("Q: overweight\nA: underweight", a.CleanPrompts[0].Split("\n\n")[0]);
    }

    [Fact]
    public void A_query_is_never_among_its_own_demonstrations()
    {
        var task = Sampled("antonym", 10, 400, 3);
        for (int q = 0; q < task.Queries.Count; q++)
        {
            Assert.Equal(10, task.DemosOf(q).Count);
            Assert.DoesNotContain(task.DemosOf(q), d => d.Input == task.Queries[q].Input);
            Assert.Equal(10, task.DemosOf(q).Distinct().Count());                           // drawn without replacement
        }
    }

    /// <summary>
    /// Queries and demonstrations take each output at its share of the dataset: Pearson's chi-square over the 26 outputs
    /// of capitalize_first_letter stays under its 1e-4 upper quantile (Wilson-Hilferty), for several seeds.
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Outputs_appear_with_their_dataset_frequencies(long seed)
    {
        var dataset = PairDataset.Load(Dataset("capitalize_first_letter"));
        var task = DatasetTask.Build(dataset, "letters", new DatasetSampling(4, 3000, seed));
        var share = dataset.Pairs.GroupBy(p => p.Label).ToDictionary(g => g.Key, g => (double)g.Count() / dataset.Pairs.Count);
        int dof = share.Count - 1;
        double z = 3.719, c = 2.0 / (9 * dof), critical = dof * Math.Pow(1 - c + z * Math.Sqrt(c), 3);
        void Check(IReadOnlyList<string> drawn, string what)
        {
            var counts = drawn.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(counts.Keys, k => Assert.Contains(k, share.Keys));
            double chi2 = share.Sum(kv => Math.Pow(counts.GetValueOrDefault(kv.Key) - drawn.Count * kv.Value, 2) / (drawn.Count * kv.Value));
            Assert.True(chi2 < critical, $"{what}: chi-square {chi2:F1} over {dof} degrees of freedom, above the 1e-4 quantile {critical:F1}");
        }
        Check(task.Queries.Select(q => q.Label).ToArray(), "queries");
        Check(Enumerable.Range(0, task.Queries.Count).SelectMany(q => task.DemosOf(q)).Select(d => d.Label).ToArray(), "demonstrations");
    }

    [Fact]
    public void A_bare_pairs_file_is_a_task_with_function_vectors_defaults()
    {
        var task = IclTask.Load(Dataset("antonym"));
        Assert.Equal("antonym", task.Name);
        Assert.Equal(25, task.Queries.Count);
        Assert.True(task.FirstTokenAnswers);
        Assert.Equal(new DatasetSampling(10, 25, 0), task.Origin!.Sampling);
        Assert.Equal(2398, task.Origin.Pairs);
        var prompts = task.BuildPrompts(Tok);
        string prompt = prompts.CleanPrompts[0];
        Assert.Equal(11, prompt.Split("\n\n").Length);                                        // 10 demonstrations and the query
        Assert.Matches(@"^Q: [^\n]+\nA: [^\n]+$", prompt.Split("\n\n")[0]);
        Assert.EndsWith($"Q: {task.Queries[0].Input}\nA:", prompt, StringComparison.Ordinal);
        Assert.Equal(" " + task.Queries[0].Label, prompts.AnswerStrings[0]);
    }

    [Fact]
    public void A_task_file_points_at_a_dataset_and_sets_the_rest()
    {
        string file = Path.Combine(_dir.Path, "capitals.json");
        File.Copy(Dataset("country-capital"), Path.Combine(_dir.Path, "pairs.json"));
        File.WriteAllText(file, """
            {"name": "capitals", "dataset": "pairs.json", "shots": 3, "prompts": 5, "seed": 9,
             "demoTemplate": "{input} -> {label}", "queryTemplate": "{input} ->", "separator": "\n",
             "corruption": {"kind": "random-labels", "seed": 2}}
            """);
        var task = IclTask.Load(file);
        Assert.Equal("capitals", task.Name);
        Assert.Equal(5, task.Queries.Count);
        Assert.All(Enumerable.Range(0, 5), q => Assert.Equal(3, task.DemosOf(q).Count));
        Assert.IsType<RandomLabelsCorruption>(task.Corruption);
        var prompts = task.BuildPrompts(Tok);
        Assert.Equal(4, prompts.CleanPrompts[0].Split('\n').Length);
        Assert.EndsWith($"{task.Queries[0].Input} ->", prompts.CleanPrompts[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// Country-capital has answers of several tokens (" Buenos Aires"): the metric reads the first, the whole answer is
    /// kept; every corrupted prompt is as long as its clean twin, its labels a permutation of the clean ones.
    /// </summary>
    [Fact]
    public void Prompts_read_the_first_answer_token_and_keep_lengths_aligned()
    {
        var task = Sampled("country-capital", 10, 60, 5);
        var prompts = task.BuildPrompts(Tok);
        Assert.Contains(prompts.AnswerTokens, t => t.Count > 1);
        for (int q = 0; q < prompts.Count; q++)
        {
            Assert.Equal(prompts.AnswerTokens[q][0], prompts.AnswerTokenIds[q]);
            int[] whole = [.. Tok.Encode(prompts.CleanPrompts[q]), .. prompts.AnswerTokens[q]];
            Assert.Equal(Tok.Encode(prompts.CleanPrompts[q] + prompts.AnswerStrings[q]), whole);
            Assert.Equal(prompts.CleanTokens.Ids[q].Length, prompts.CorruptedTokens.Ids[q].Length);
            Assert.Equal(prompts.CleanDemoLabels[q].Order(StringComparer.Ordinal), prompts.CorruptedDemoLabels[q].Order(StringComparer.Ordinal));
        }
        Assert.True(Enumerable.Range(0, prompts.Count).Count(q => !prompts.CleanDemoLabels[q].SequenceEqual(prompts.CorruptedDemoLabels[q])) >= 55,
            "the shuffle should change nearly every prompt's labels");
    }

    [Fact]
    public void Random_labels_come_from_the_datasets_outputs_and_keep_each_labels_length()
    {
        var task = Sampled("country-capital", 10, 30, 5, new RandomLabelsCorruption(1));
        var prompts = task.BuildPrompts(Tok);
        var outputs = PairDataset.Load(Dataset("country-capital")).Outputs.ToHashSet();
        int changed = 0;
        for (int q = 0; q < prompts.Count; q++)
            for (int d = 0; d < 10; d++)
            {
                string clean = prompts.CleanDemoLabels[q][d], corrupted = prompts.CorruptedDemoLabels[q][d];
                Assert.Contains(corrupted, outputs);
                Assert.Equal(Tok.Encode(" " + clean).Length, Tok.Encode(" " + corrupted).Length);
                if (clean != corrupted) changed++;
            }
        Assert.True(changed >= 290, $"{changed} of 300 labels changed");
        Assert.All(Enumerable.Range(0, prompts.Count), q => Assert.Equal(prompts.CleanTokens.Ids[q].Length, prompts.CorruptedTokens.Ids[q].Length));
    }

    [Theory]
    [InlineData("""[{"input": "a", "output": "b"}, {"input": "c"}]""", "[1].output must be a non-empty string")]
    [InlineData("""[{"input": "a", "output": "b"}]""", "needs at least 2")]
    [InlineData("""{"dataset": "nowhere.json"}""", "dataset: 'nowhere.json' does not exist")]
    [InlineData("""{"dataset": "pairs.json", "shots": 0}""", "shots: must be between 1 and 100000, not 0")]
    [InlineData("""{"dataset": "pairs.json", "shots": 3}""", "3 demonstrations are asked for, but only 2 pairs")]
    [InlineData("""{"dataset": "pairs.json", "demos": []}""", "demos: unknown field")]
    public void Bad_dataset_tasks_are_refused_naming_the_problem(string json, string expected)
    {
        File.WriteAllText(Path.Combine(_dir.Path, "pairs.json"), """[{"input": "x", "output": "1"}, {"input": "y", "output": "2"}, {"input": "z", "output": "3"}]""");
        string file = Path.Combine(_dir.Path, "task.json");
        File.WriteAllText(file, json);
        var e = Assert.Throws<IclException>(() => IclTask.Load(file));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
