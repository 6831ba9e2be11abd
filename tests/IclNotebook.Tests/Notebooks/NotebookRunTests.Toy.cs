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
        ("ICL_MODEL", "toy-icl-2l"), ("ICL_TASK", Path.Combine(Repo.Root, "data", "tasks", "associative-recall.json")),
        ("ICL_TASKS", string.Join(",", ToyTasks.Select(t => Path.Combine(Repo.Root, "data", "tasks", t + ".json")))));

    /// <summary>The two recall dataset tasks the notebook across tasks runs on the toy model.</summary>
    private static readonly string[] ToyTasks = ["toy-recall-dataset", "toy-recall-dataset-2"];

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_notebook_runs_headless_on_the_toy_model_and_its_charts_show_the_mechanism(string name)
    {
        var runs = Path.Combine(Repo.Root, "runs", "notebooks", "toy-icl-2l");
        var grades = Path.Combine(runs, "grades", name + ".json");   // the exercises' checks, as an instructor grades a headless run
        Directory.CreateDirectory(Path.GetDirectoryName(grades)!);
        File.Delete(grades);
        var env = ToyModel();
        env["ICL_GRADES"] = grades;
        var (run, notebook) = Execute(name, Path.Combine(runs, name + ".ipynb"), env);
        AssertRanAndShowed(name, run, notebook);
        var text = string.Concat(notebook.Cells.Select(c => c.StdOut));
        switch (name)
        {
            case "01-icl-walkthrough":
                AssertToyResidualLightsTheAskedLabels(notebook, "residual-patching");
                AssertToySectionShowsTheMechanism(notebook);
                break;
            case "02-attribution-vs-exact":
                // Attribution tracks exact patching on a model that does the task: r from the two heatmaps' own cells and
                // from each scatter's points (measured 0.958 resid_pre, 0.955 heads; the random fixture gives 0.79).
                var heatmaps = Figures(notebook, "exact-and-attribution");
                double fromHeatmaps = Pearson(Z(heatmaps[0], 0).SelectMany(r => r).ToArray(), Z(heatmaps[1], 0).SelectMany(r => r).ToArray());
                Assert.True(fromHeatmaps > 0.9, $"resid_pre heatmaps, attribution vs exact: r = {fromHeatmaps:F3}");
                foreach (var source in new[] { "resid-scatter", "heads-scatter" })
                {
                    var points = Figures(notebook, source).Last().GetProperty("data")[1];
                    double r = Pearson(Numbers(points.GetProperty("x")), Numbers(points.GetProperty("y")));
                    Assert.True(r > 0.9, $"{source}: scatter r = {r:F3}");
                }
                break;
            case "03-more-patching-targets":
                // Head output by position (rows L0H0..L1H3): the largest cell is a layer-1 head at the query, where the
                // induction heads write (measured L1H0 at 19, 0.66); block_every's attention output is largest there too (1.00).
                var byPos = Z(Figures(notebook, "head-output-by-position")[0], 0);
                var cell = byPos.SelectMany((row, i) => row.Select((v, j) => (Row: i, Pos: j, v))).MaxBy(c => c.v);
                Assert.True(cell.Row >= 4 && cell.Pos == byPos[0].Length - 1, $"head output by position: largest at row {cell.Row}, position {cell.Pos} ({cell.v:F3})");
                var attnOut = Z(Figures(notebook, "block-every")[0], 1);
                Assert.True(ArgMax(attnOut[1]) == attnOut[1].Length - 1 && attnOut[1][^1] > 0.9, $"attn_out layer 1: largest at {ArgMax(attnOut[1])} ({attnOut[1].Max():F3})");
                break;
            case "04-pythia-vs-gpt2":
                AssertPythiaDifferencesAreShown(notebook);
                AssertToyResidualLightsTheAskedLabels(notebook, "gpt2-patching");   // the GPT-2 side is the toy model
                break;
            case "05-after-the-heatmap":
                AssertAttributionsAddUpToTheLogits(notebook);
                // The logit lens: every prompt's answer is the top prediction at the output, and first becomes it after
                // layer 1's attention (1_mid), where the induction heads have copied the label to the query.
                Assert.Equal(4, Regex.Count(text, @"prompt \d \(\w+\): rank 0 at the output, log P -?[\d.]+; top prediction from 1_mid on"));
                // Direct logit attribution per head (the heatmap): the answer is written by layer-1 heads (measured L1H0 3.05,
                // L1H3 1.40; layer 0 at most 0.32).
                var dla = Z(Figures(notebook, "dla-per-head")[0], 0);
                Assert.True(dla[1].Max() > 2 * dla[0].Max(), $"DLA per head: layer 1 up to {dla[1].Max():F3}, layer 0 up to {dla[0].Max():F3}");
                break;
            case "06-function-vectors-and-anchors":
                // The AIE heatmap's largest head carries the labels: L0H2 (re-reads each label; measured 0.0066) or a layer-1
                // induction head, never the previous-token head L0H1 (it carries inputs, which the shuffled labels keep).
                var aie = Z(Figures(notebook, "function-vector")[0], 0);
                var best = aie.SelectMany((row, l) => row.Select((v, h) => (l, h, v))).MaxBy(c => c.v);
                Assert.True((best.l, best.h) is (0, 2) or (1, _), $"largest AIE: L{best.l}H{best.h} {best.v:E2}");
                break;
            case "07-across-tasks":
                // Two recall tasks (mappings the toy never saw; each query's own demonstration among 8): accuracy at 8 shots far
                // above 0 shots for both, and every task's top function-vector head a label carrier (L0H2 or layer 1), never L0H1.
                var rows = Regex.Matches(text, @"(toy-recall-dataset(?:-2)?): 0 shots (\S+) .*; 8 shots (\S+) ");
                Assert.Equal(2, rows.Count);
                Assert.All(rows, m => Assert.True(double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) >
                    double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) + 0.5, m.Value));
                var tops = Regex.Matches(text, @"top heads L(\d)H(\d)");
                Assert.Equal(2, tops.Count);
                Assert.All(tops, m => Assert.True(m.Groups[1].Value == "1" || m.Groups[2].Value == "2", m.Value));
                break;
            case "09-circuits":
                // The toy's circuit (measured): the input swap's first head-to-head path is the previous-token head into an
                // induction head's key (L0H1 -> L1H0.k 0.203), the label swap's a label head into its value (L0H2 -> L1H0.v 0.385).
                Assert.Matches(@"input swap: L0H1 -> L1H\d\.k", text);
                Assert.Matches(@"label swap: L0H[23] -> L1H\d\.v", text);
                Assert.Matches(@"path patching: 20 edges keep 0\.[89]", text);
                break;
            case "08-exercises":
            case "08-exercises.student":
                AssertExerciseChecks(name, notebook, grades);
                break;
        }
        WriteTiming(runs, name, run);
    }

    /// <summary>
    /// Each exercise cell shows its check, and the grades file holds the summary: in the instructor notebook every check is
    /// right (✔), in the student notebook every one is "not done yet" (…), none wrong in either.
    /// </summary>
    private static void AssertExerciseChecks(string name, ExecutedNotebook notebook, string grades)
    {
        bool student = name.EndsWith(".student", StringComparison.Ordinal);
        var checkCells = notebook.Cells.Where(c => Regex.IsMatch(c.Source, @"^Exercises\.Check\w+\(", RegexOptions.Multiline)).ToList();
        Assert.Equal(8, checkCells.Count);
        Assert.All(checkCells, c => Assert.Contains(student ? "… " : "✔ ", string.Concat(c.Html), StringComparison.Ordinal));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(grades));
        var root = json.RootElement;
        Assert.Equal(student ? 0 : 8, root.GetProperty("right").GetInt32());
        Assert.Equal(0, root.GetProperty("wrong").GetInt32());
        Assert.Equal(student ? 8 : 0, root.GetProperty("not_done").GetInt32());
    }

    private static double[] Numbers(System.Text.Json.JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum(), sxx = x.Sum(a => (a - mx) * (a - mx)), syy = y.Sum(b => (b - my) * (b - my));
        return sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>
    /// The residual heatmap of the cell with id <paramref name="cellId"/>, on the task
    /// file's four prompts: each query asks one demonstration, so the four asked labels' columns carry
    /// the effect (a share each; measured 0.19-0.34) and no other column does (measured at most 0.02).
    /// </summary>
    private static void AssertToyResidualLightsTheAskedLabels(ExecutedNotebook notebook, string cellId)
    {
        var task = IclNotebook.Icl.IclTask.Load(Path.Combine(Repo.Root, "data", "tasks", "associative-recall.json"));
        var asked = task.Queries.Select(q => 2 + 3 * task.Demos.ToList().FindIndex(d => d.Input == q.Input)).ToHashSet();
        var z = Z(Figures(notebook, cellId)[0], 0);
        for (int layer = 0; layer < z.Length; layer++)
            for (int pos = 0; pos < z[layer].Length; pos++)
                Assert.True(asked.Contains(pos) ? z[layer][pos] > 0.1 : Math.Abs(z[layer][pos]) < 0.15,
                    $"resid_pre L{layer} pos {pos} = {z[layer][pos]:F3} (asked labels at {string.Join(", ", asked)})");
    }
}
