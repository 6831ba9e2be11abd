using System.Globalization;
using System.Text.RegularExpressions;

namespace IclNotebook.Tests.Notebooks;

/// <summary>
/// Every notebook runs top to bottom headless (dotnet-repl from the tool manifest) on the tiny
/// fixture model and shows the charts and views it promises; every file-based twin runs and
/// writes its figures; a missing model or a broken task file reads as one line in the cell that
/// failed. Executed notebooks are kept in runs/notebooks (ignored by git), with their run times.
/// </summary>
[Collection("notebooks")] // one at a time: each builds the library
[Trait(Lane.Name, Lane.Full)]
public partial class NotebookRunTests
{
    /// <summary>What each executed notebook must show, beyond "no cell failed".</summary>
    private static readonly Dictionary<string, (int Figures, string[] Html)> Expected = new()
    {
        ["01-icl-walkthrough"] = (3,
        [
            "Residual stream patching (resid_pre)",                 // residual heatmap title
            "Attention head (all positions) patching",              // five-panel head figure title
            "\"text\":\"Output\"", "\"text\":\"Query\"", "\"text\":\"Key\"", "\"text\":\"Value\"", "\"text\":\"Pattern\"", // panel titles
            "\"type\":\"heatmap\"",
            "class=\"icl-tok",                                      // prompts as coloured tokens
            "blocks.0.attn.hook_pattern",                           // activation cache table
            "Baselines of",                                         // baselines table
            "corruption replayed sequentially (the Colab's loop)",   // the quirks cell's baselines
            "Layer 1, attention from the query",                    // the toy model's section
        ]),
        ["03-more-patching-targets"] = (2,
        [
            "Block output patching (block_every)",                 // three panels: residual, attention, MLP
            "\"text\":\"Attention output\"", "\"text\":\"MLP output\"",
            "attn_head_out_by_pos",
            "\"L1H3\"",                                             // head rows of the by-position plot
        ]),
        ["02-attribution-vs-exact"] = (4,
        [
            "Residual stream patching (resid_pre)",
            "attribution (approximate)",
            "Pearson",
        ]),
        ["04-pythia-vs-gpt2"] = (4,                                  // resid_pre and the five panels, for each model
        [
            "Residual stream patching (resid_pre)",
            "Attention head (all positions) patching",
            "class=\"icl-tok",
            "Baselines of",
        ]),
        ["05-after-the-heatmap"] = (6,                               // lens, DLA by component and head, head patching, one head's pattern, head scores
        [
            "Logit lens",
            "Direct logit attribution per component", "Direct logit attribution per head",
            "class=\"icl-attn\"",                                   // the interactive attention view
            "Attention pattern L",                                   // the static heatmap of the top head
            "\"text\":\"prefix_matching\"", "\"text\":\"induction_head\"",
            "components + bias = ",
        ]),
        ["06-function-vectors-and-anchors"] = (6,                    // AIE grid, zero-shot sweep, task vectors (model, two toys), anchor flows
        [
            "Average indirect effect per head",
            "Zero-shot with the function vector",
            "exact match of the generated answers at layer",
            "Task vectors on the toy model",
            "in context 0.9",                                        // the toy recalls in context (>= 90 %)
            "Task vectors on the task toy",
            "layer 1: 1 [1, 1]",                                     // the task toy's layer-1 vector answers every colour prompt
            "Information flow through the label words",
            "S_pq: label words",
            "label words at positions",
        ]),
        ["07-across-tasks"] = (3,                                   // accuracy by shots, mean AIE, heads in the tasks' top five
        [
            "In-context accuracy by shots",
            "error_y",                                              // the intervals are drawn
            "Mean AIE across",
            "top five heads",
        ]),
        ["08-exercises"] = (2,                                       // the library's resid_pre grid and five panels, to compare with
        [
            "8 of 8 exercises right, 0 wrong, 0 not done yet",      // the summary: every solution passes its check
            "#e7f6e7",                                              // a check's green line
        ]),
        ["09-circuits"] = (5,                                       // two path grids, two circuit graphs, the faithfulness curves
        [
            "Path patching, input swap", "Path patching, label swap",
            "circuit, label swap",
            "Faithfulness of the top-k circuits",
            "Pearson r",
        ]),
        ["08-exercises.student"] = (2,
        [
            "0 of 8 exercises right, 0 wrong, 8 not done yet",      // every stub reads as not done, nothing crashed
        ]),
    };

    /// <summary>The models every notebook run gets: the GPT-2 fixture, and the NeoX fixture as the Pythia side.</summary>
    private static Dictionary<string, string> FixtureModels(params (string Key, string Value)[] more)
    {
        // The notebook across tasks keeps its 25 prompts: with 12 the toy's top AIE head was the previous-token head L0H1 for one
        // task (the intervals at 12 prompts do not separate the layer-0 heads), which the toy check rightly refuses.
        var env = new Dictionary<string, string>
        {
            ["ICL_MODEL"] = Fixtures.TinyModel, ["ICL_PYTHIA"] = IclNotebook.Tests.Families.FamilyFixture.Folder("tiny-neox-a"),
        };
        foreach (var (key, value) in more) env[key] = value;
        return env;
    }

    private static readonly object RestoreGate = new();
    private static bool restored;

    private static void RestoreTools()
    {
        lock (RestoreGate)
        {
            if (restored) return;
            var r = Repo.Dotnet(["tool", "restore"], Repo.Root);
            Assert.True(r.ExitCode == 0, $"dotnet tool restore failed:\n{r.StdOut}\n{r.StdErr}");
            restored = true;
        }
    }

    private static (Repo.Outcome Run, ExecutedNotebook Notebook) Execute(string name, string outputPath, IDictionary<string, string> env)
    {
        RestoreTools();
        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        File.Delete(outputPath);
        var run = Repo.Dotnet(["tool", "run", "dotnet-repl", "--", "--run", name + ".ipynb", "--exit-after-run", "--output-path", outputPath, "--output-format", "ipynb"],
            Repo.Notebooks, env);
        Assert.True(File.Exists(outputPath), $"dotnet-repl wrote no executed notebook for {name} (exit {run.ExitCode}):\n{run.StdOut}\n{run.StdErr}");
        return (run, ExecutedNotebook.Load(outputPath, Path.Combine(Repo.Notebooks, name + ".ipynb")));
    }

    /// <summary>The notebooks, one test case each.</summary>
    public static TheoryData<string> Notebooks() => new(Repo.NotebookNames);

    /// <summary>
    /// The notebooks run on the tiny GPT-2 fixture as well as on the toy model: the walkthrough, whose Colab-exact cell shows
    /// TransformerLens's numbers on it. The others' checks are the toy run's (each run is 15-40 s of a CI run near its budget).
    /// </summary>
    public static TheoryData<string> TinyModelNotebooks() => new(["01-icl-walkthrough"]);

    [Fact]
    public void Every_notebook_has_its_expectations()
    {
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), Repo.NotebookNames); // a new notebook needs its expectations here
    }

    [Theory]
    [MemberData(nameof(TinyModelNotebooks))]
    public void The_notebook_runs_headless_on_the_tiny_model_and_shows_its_charts(string name)
    {
        var runs = Path.Combine(Repo.Root, "runs", "notebooks");
        var (run, notebook) = Execute(name, Path.Combine(runs, name + ".ipynb"), FixtureModels());
        AssertRanAndShowed(name, run, notebook);
        if (name == "01-icl-walkthrough")
        {
            AssertColabExactCellShowsTransformerLensNumbers(notebook);
            AssertToySectionShowsTheMechanism(notebook);
            AssertHalfPrecisionSectionAgrees(notebook);
        }
        WriteTiming(runs, name, run);
    }

    /// <summary>runs/.../timings/NAME.txt: the notebook's run time, which .ci/run prints.</summary>
    private static void WriteTiming(string runs, string name, Repo.Outcome run)
    {
        Directory.CreateDirectory(Path.Combine(runs, "timings"));
        File.WriteAllText(Path.Combine(runs, "timings", name + ".txt"), string.Create(CultureInfo.InvariantCulture, $"{name}: {run.Elapsed.TotalSeconds:F1} s\n"));
    }

    /// <summary>No cell failed, every cell shows something, and the notebook has its figures (plotly.js inline once) and snippets.</summary>
    private static void AssertRanAndShowed(string name, Repo.Outcome run, ExecutedNotebook notebook)
    {
        var failed = notebook.Cells.Where(c => c.Errors.Any()).Select(c => $"cell {c.Index}: {c.Errors.First().GetProperty("evalue").GetString()}").ToList();
        Assert.True(run.ExitCode == 0 && failed.Count == 0, $"{name}: exit {run.ExitCode}; failed cells:\n{string.Join("\n", failed)}\n{run.StdErr}");
        Assert.All(notebook.Cells, c => Assert.True(c.Outputs.Count > 0 || c.Source.TrimStart().StartsWith("#load \"setup/Load.csx\"", StringComparison.Ordinal),
            $"{name}: cell {c.Index} shows nothing:\n{c.Source}"));

        var (figures, snippets) = Expected[name];
        var html = notebook.AllHtml;
        Assert.True(Regex.Count(html, "Plotly\\.newPlot\\(") >= figures, $"{name}: expected at least {figures} figures, found {Regex.Count(html, "Plotly\\.newPlot\\(")}");
        Assert.Equal(1, Regex.Count(html, "plotly\\.js v2\\.28\\.0")); // the bundle inline once, not per chart, never from a CDN
        Assert.DoesNotMatch("<script[^>]*\\ssrc\\s*=", html);
        var shown = html + "\n" + string.Concat(notebook.Cells.Select(c => c.StdOut));
        foreach (var snippet in snippets) Assert.Contains(snippet, shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_twin_runs_and_writes_its_figures_as_html()
    {
        var names = Repo.NotebookNames;
        foreach (var name in names)
        {
            using (var output = new TempFolder($"icl-twin-{name}"))
            {
                var run = Repo.Dotnet(["run", $"notebooks/{name}.cs"], Repo.Root,
                    FixtureModels(("ICL_OUTPUT", output.Path)));
                Assert.True(run.ExitCode == 0, $"{name}.cs: exit {run.ExitCode}\n{run.StdOut}\n{run.StdErr}");
                var files = Directory.GetFiles(output.Path, "*.html");
                Assert.True(files.Length >= Expected[name].Figures, $"{name}.cs wrote {files.Length} figures:\n{run.StdOut}");
                Assert.All(files, f => Assert.Contains("Plotly.newPlot(", File.ReadAllText(f), StringComparison.Ordinal));
                Assert.Contains("[figure]", run.StdOut, StringComparison.Ordinal);
                if (Expected[name].Html.Contains("Baselines of")) Assert.Contains("Baselines of", run.StdOut, StringComparison.Ordinal); // the setup's text view
            }
        }
    }

    [Fact]
    public void A_missing_model_reads_as_one_line_in_the_model_cell()
    {
        using var temp = new TempFolder("icl-missing-model");
        var missing = temp["no-model"];                                             // never made
        var (_, notebook) = Execute("01-icl-walkthrough", temp["executed.ipynb"], new Dictionary<string, string> { ["ICL_MODEL"] = missing });
        var first = notebook.Cells.First(c => c.Errors.Any());
        Assert.Contains("LoadModelAsync", first.Source, StringComparison.Ordinal);
        AssertOneReadableLine(first, $"Model folder {missing} does not exist");
        // Every later cell that needs the model (or what needed it) is refused in one line naming the cell to fix (CellGuard).
        var later = notebook.Cells.Where(c => c.Index > first.Index && c.Errors.Any()).ToList();
        Assert.True(later.Count >= 5, $"{later.Count} later cells failed");
        Assert.All(later, c => AssertOneReadableLine(c, "which an earlier cell should have made, but that cell failed (the cell \"var model = await Notebook.LoadModelAsync();\")"));
        Assert.Contains(later, c => c.Errors.Single().GetProperty("evalue").GetString()!.Contains("needs 'model'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_broken_task_file_reads_as_one_line_in_the_task_cell()
    {
        using var temp = new TempFolder("icl-bad-task");
        var task = temp["bad-task.json"];
        File.WriteAllText(task, File.ReadAllText(Path.Combine(Repo.Root, "data", "tasks", "sentiment.json")).Replace("\"demos\"", "\"demoz\"", StringComparison.Ordinal));
        var (_, notebook) = Execute("01-icl-walkthrough", temp["executed.ipynb"],
            new Dictionary<string, string> { ["ICL_MODEL"] = Fixtures.TinyModel, ["ICL_TASK"] = task });
        var first = notebook.Cells.First(c => c.Errors.Any());
        Assert.Contains("LoadTask", first.Source, StringComparison.Ordinal);
        AssertOneReadableLine(first, Path.GetFileName(task));
    }

    private static void AssertOneReadableLine(ExecutedNotebook.Cell cell, string mustMention)
    {
        var error = Assert.Single(cell.Errors);
        var message = error.GetProperty("evalue").GetString()!;
        Assert.Contains(mustMention, message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", message.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        Assert.All(error.GetProperty("traceback").EnumerateArray(), line => Assert.DoesNotContain(" at ", line.GetString() ?? "", StringComparison.Ordinal));
    }
}
