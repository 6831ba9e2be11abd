using System.Globalization;
using System.Text.RegularExpressions;

namespace IclNotebook.Tests.Notebooks;

// What the executed notebooks' charts and lines must show, read from their own data (cells found by id).
public partial class NotebookRunTests
{
    /// <summary>
    /// The walkthrough's colab-exact cell reproduces the original on the fixture model, so what it
    /// shows must be TransformerLens's numbers: the baselines and every cell of the residual heatmap.
    /// </summary>
    private static void AssertColabExactCellShowsTransformerLensNumbers(ExecutedNotebook notebook)
    {
        var golden = Fixtures.Json(Fixtures.Golden("processed"));
        var cell = notebook.WithId("colab-exact");
        var html = string.Join("\n", cell.Html);
        var baselines = Regex.Match(html, @"\(the Colab's loop\)\. Clean mean <b>(-?[\d.]+)</b>.*?corrupted mean <b>(-?[\d.]+)</b>");
        Assert.True(baselines.Success, "the colab-exact baselines are not shown");
        var metric = golden.GetProperty("metric");
        Assert.Equal(metric.GetProperty("clean_baseline").GetDouble(), double.Parse(baselines.Groups[1].Value, CultureInfo.InvariantCulture), 1.5e-4);
        Assert.Equal(metric.GetProperty("corrupted_baseline").GetDouble(), double.Parse(baselines.Groups[2].Value, CultureInfo.InvariantCulture), 1.5e-4);

        var figure = Regex.Match(html, @"var figure = (\{.*?\});\n", RegexOptions.Singleline);
        Assert.True(figure.Success, "the colab-exact residual heatmap is not shown");
        using var doc = System.Text.Json.JsonDocument.Parse(figure.Groups[1].Value);
        var z = doc.RootElement.GetProperty("data")[0].GetProperty("z");
        var expected = golden.GetProperty("patching_normalised").GetProperty("resid_pre").GetProperty("values");
        Assert.Equal(expected.GetArrayLength(), z.GetArrayLength());
        static double[] Row(System.Text.Json.JsonElement row) => row.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int layer = 0; layer < z.GetArrayLength(); layer++)
            TensorAssert.Close(Row(expected[layer]), Row(z[layer]), 1e-4, $"resid_pre layer {layer}: TransformerLens's and the notebook's values");
    }

    /// <summary>
    /// Section 10: the toy model's five panels in bfloat16, next to float32, say so and agree where there is a signal (the
    /// same ten largest effects, within 0.02 normalised; HalfPrecisionTests measured 0.0042).
    /// </summary>
    private static void AssertHalfPrecisionSectionAgrees(ExecutedNotebook notebook)
    {
        var text = string.Concat(notebook.Cells.Select(c => c.StdOut));
        var gap = Regex.Match(text, @"computed in bfloat16; largest \|bfloat16 - float32\| over the five panels: ([\d.]+)");
        Assert.True(gap.Success, "section 10 does not say the grid was computed in bfloat16");
        double largest = double.Parse(gap.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(largest < 0.02, $"bfloat16 vs float32 on the toy model: {largest} apart, normalised");
        Assert.Contains("are the same in both dtypes: True", text, StringComparison.Ordinal);
        Assert.Contains("toy-icl-2l, bfloat16, fast engine", notebook.AllHtml, StringComparison.Ordinal);   // the half-precision figure's title
    }

    /// <summary>
    /// The walkthrough's section on the shipped toy model shows its known mechanism, read from the
    /// heatmaps' own data: residual patching of the first query lights its demonstration's label in
    /// both layers and, after layer 1's attention, the query; the label-swap head grid shows nothing
    /// for the previous-token head and an induction head in layer 1; the input-swap grid puts the
    /// previous-token head first in Output and Value.
    /// </summary>
    private static void AssertToySectionShowsTheMechanism(ExecutedNotebook notebook)
    {
        var task = IclNotebook.Icl.IclTask.Load(Path.Combine(Repo.Root, "data", "tasks", "associative-recall.json"));
        int asked = task.Demos.ToList().FindIndex(d => d.Input == task.Queries[0].Input);
        int label = 2 + 3 * asked, query = 3 * task.Demos.Count + 1;     // BOS, then "input label \n" per demonstration, then the query

        var resid = Figures(notebook, "toy-residual-patching");
        Assert.Equal(2, resid.Count);
        double[][] pre = Z(resid[0], 0), mid = Z(resid[1], 0);
        foreach (var (row, at, what) in new[] { (pre[0], label, "resid_pre L0"), (pre[1], label, "resid_pre L1"), (mid[0], label, "resid_mid L0"), (mid[1], query, "resid_mid L1") })
        {
            Assert.True(ArgMax(row) == at && row[at] > 0.9, $"{what}: the largest cell is position {ArgMax(row)} ({row.Max():F3}), expected position {at} above 0.9");
            Assert.All(row.Where((_, i) => i != at), v => Assert.True(v < 0.5, $"{what}: another position reaches {v:F3}"));
        }

        var detector = Regex.Match(string.Concat(notebook.Cells.Select(c => c.StdOut)), @"previous_token_head \[[^\]]*\][^:]*: top L(\d+)H(\d+)");
        Assert.True(detector.Success && detector.Groups[1].Value == "0", "the detector line should name a layer-0 previous-token head first");
        int previous = int.Parse(detector.Groups[2].Value, CultureInfo.InvariantCulture);

        var byLabel = Figures(notebook, "toy-label-swap-heads").Single();
        var labelOutput = Z(byLabel, 0);
        Assert.True(Math.Abs(labelOutput[0][previous]) < 0.05, $"label swap: the previous-token head's Output is {labelOutput[0][previous]:F3}");
        Assert.True(labelOutput[1].Max() > 0.5, $"label swap: no layer-1 head reaches 0.5 in Output ({labelOutput[1].Max():F3})");

        var byInput = Figures(notebook, "toy-input-swap-heads").Single();
        foreach (int panel in new[] { 0, 3 })
        {
            var z = Z(byInput, panel);
            var best = z.SelectMany((row, l) => row.Select((v, h) => (l, h, v))).MaxBy(c => c.v);
            Assert.True((best.l, best.h) == (0, previous) && best.v > 0.9, $"input swap, panel {panel}: L{best.l}H{best.h} {best.v:F3} leads, expected L0H{previous}");
        }
    }

    /// <summary>The Plotly figures of the cell with id <paramref name="cellId"/>, in output order.</summary>
    private static List<System.Text.Json.JsonElement> Figures(ExecutedNotebook notebook, string cellId)
    {
        var cell = notebook.WithId(cellId);
        return Regex.Matches(string.Join("\n", cell.Html), @"var figure = (\{.*?\});\n", RegexOptions.Singleline)
            .Select(m => System.Text.Json.JsonDocument.Parse(m.Groups[1].Value).RootElement.Clone()).ToList();
    }

    private static double[][] Z(System.Text.Json.JsonElement figure, int trace) =>
        figure.GetProperty("data")[trace].GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    private static int ArgMax(double[] row) => Array.IndexOf(row, row.Max());

    /// <summary>The DLA cell prints, per prompt, the components plus the bias next to the model's logit: they must agree.</summary>
    private static void AssertAttributionsAddUpToTheLogits(ExecutedNotebook notebook)
    {
        var lines = Regex.Matches(string.Concat(notebook.Cells.Select(c => c.StdOut)), @"components \+ bias = (-?[\d.]+), the model's logit = (-?[\d.]+)");
        Assert.Equal(4, lines.Count);
        foreach (Match m in lines)
            Assert.Equal(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 1e-3);
    }

    /// <summary>The Pythia notebook shows what the architectures do not share, and a refused target as its one-line reason.</summary>
    private static void AssertPythiaDifferencesAreShown(ExecutedNotebook notebook)
    {
        var text = string.Concat(notebook.Cells.Select(c => c.StdOut));
        Assert.Contains("only the GPT-2 side has:     hook_resid_mid", text, StringComparison.Ordinal);
        Assert.Contains("only the Pythia side has:    attn.hook_rot_k, attn.hook_rot_q", text, StringComparison.Ordinal);
        Assert.Contains("Patch target 'resid_mid' patches blocks.0.hook_resid_mid, which tiny-neox-a (gpt_neox, attention and MLP in parallel) does not have", text, StringComparison.Ordinal);
        Assert.Contains("positional_embedding_type   Standard              Rotary", text, StringComparison.Ordinal);
    }
}
