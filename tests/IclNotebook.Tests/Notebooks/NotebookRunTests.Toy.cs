using System.Globalization;
using System.Text.RegularExpressions;

namespace IclNotebook.Tests.Notebooks;

/// <summary>
/// Every notebook also runs on the shipped toy model (ICL_MODEL=toy-icl-2l, its associative-recall
/// task), the model whose mechanism is known, and what its charts and printed numbers show is
/// checked against that mechanism, read from the executed notebook's own heatmap data.
/// </summary>
public partial class NotebookRunTests
{
    private static Dictionary<string, string> ToyModel() => FixtureModels(
        ("ICL_MODEL", "toy-icl-2l"), ("ICL_TASK", Path.Combine(Repo.Root, "data", "tasks", "associative-recall.json")));

    [Fact]
    public void Every_notebook_runs_headless_on_the_toy_model_and_its_charts_show_the_mechanism()
    {
        var runs = Path.Combine(Repo.Root, "runs", "notebooks", "toy-icl-2l");
        var timings = new List<string>();
        foreach (var name in Repo.NotebookNames)
        {
            var (run, notebook) = Execute(name, Path.Combine(runs, name + ".ipynb"), ToyModel());
            AssertRanAndShowed(name, run, notebook);
            var text = string.Concat(notebook.Cells.Select(c => c.StdOut));
            switch (name)
            {
                case "01-icl-walkthrough":
                    AssertToyResidualLightsTheAskedLabels(notebook);
                    AssertToySectionShowsTheMechanism(notebook);
                    break;
                case "02-attribution-vs-exact":
                    // Attribution tracks exact patching on a model that does the task (measured: 0.958 and 0.955).
                    var pearson = Regex.Matches(text, @"Pearson (-?[\d.]+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
                    Assert.True(pearson.Count >= 2 && pearson.All(r => r > 0.9), $"Pearson r: {string.Join(", ", pearson)}");
                    break;
                case "03-more-patching-targets":
                    // Head output by position: the largest effect is a layer-1 head at the query, where the induction heads write.
                    var top = Regex.Match(text, @"Layer (\d+), Pos (\d+): \S+, Head (\d+)\s+(-?[\d.]+) \(normalised\)");
                    Assert.True(top.Success && top.Groups[1].Value == "1" && top.Groups[2].Value == "19", $"largest head-by-position effect: {top.Value}");
                    break;
                case "05-after-the-heatmap":
                    AssertAttributionsAddUpToTheLogits(notebook);
                    // The logit lens: every prompt's answer is the top prediction at the output, and first becomes it after
                    // layer 1's attention (1_mid), where the induction heads have copied the label to the query.
                    Assert.Equal(4, Regex.Count(text, @"prompt \d \(\w+\): rank 0 at the output, log P -?[\d.]+; top prediction from 1_mid on"));
                    break;
                case "06-function-vectors-and-anchors":
                    // The heads with the largest average indirect effect are the ones that carry the labels: L0H2 (re-reads each
                    // label) or a layer-1 induction head, never the previous-token head L0H1 (it carries inputs).
                    var aie = Regex.Match(text, @"(L\dH\d): AIE");
                    Assert.True(aie.Success && aie.Groups[1].Value is "L0H2" or "L1H0" or "L1H1" or "L1H2" or "L1H3", $"top AIE head: {aie.Value}");
                    break;
            }
            timings.Add(string.Create(CultureInfo.InvariantCulture, $"{name} (toy-icl-2l): {run.Elapsed.TotalSeconds:F1} s"));
        }
        File.WriteAllLines(Path.Combine(runs, "timings.txt"), timings);
    }

    /// <summary>
    /// Section 5's residual heatmap on the task file's four prompts: each query asks one demonstration,
    /// so the four asked labels' columns carry the effect (a share each) and no other column does.
    /// </summary>
    private static void AssertToyResidualLightsTheAskedLabels(ExecutedNotebook notebook)
    {
        var task = IclNotebook.Icl.IclTask.Load(Path.Combine(Repo.Root, "data", "tasks", "associative-recall.json"));
        var asked = task.Queries.Select(q => 2 + 3 * task.Demos.ToList().FindIndex(d => d.Input == q.Input)).ToHashSet();
        var z = Z(Figures(notebook, "var resid = engine.Run(setup, PatchTargets.ResidPre")[0], 0);
        for (int layer = 0; layer < z.Length; layer++)
            for (int pos = 0; pos < z[layer].Length; pos++)
                Assert.True(asked.Contains(pos) ? z[layer][pos] > 0.1 : Math.Abs(z[layer][pos]) < 0.15,
                    $"resid_pre L{layer} pos {pos} = {z[layer][pos]:F3} (asked labels at {string.Join(", ", asked)})");
    }
}
