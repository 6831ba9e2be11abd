using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Notebooks;
using IclNotebook.Patching;
using IclNotebook.Plots;
using IclNotebook.Tests.Plots;
using IclNotebook.Tokenization;

namespace IclNotebook.Tests.Notebooks;

public class NotebookViewsTests
{
    [Fact]
    public void Prompt_sets_show_coloured_tokens_with_the_swapped_labels_marked()
    {
        var prompts = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json")).BuildPrompts(new Gpt2Tokenizer());
        var html = new NotebookViews().Html(prompts)!;
        Assert.Contains("class=\"icl-tok\"", html, StringComparison.Ordinal);
        Assert.Contains("icl-diff", html, StringComparison.Ordinal);      // swapped labels outlined
        Assert.Contains("icl-read", html, StringComparison.Ordinal);      // where the answer is read
        Assert.Contains("&#183;positive", html, StringComparison.Ordinal); // spaces made visible (·, HTML-encoded)
        Assert.Contains("title=\"position 0, id 50256\"", html, StringComparison.Ordinal);
        var text = NotebookViews.Text(prompts);
        Assert.Contains("answer \"positive\" (id 3967), 139 tokens, 6 differ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Exercise_checks_show_as_one_coloured_line_and_a_summary_as_the_counts()
    {
        var views = new NotebookViews();
        var right = new IclNotebook.Teaching.ExerciseCheck("metric", IclNotebook.Teaching.CheckOutcome.Right, "all right");
        var wrong = new IclNotebook.Teaching.ExerciseCheck("prompts", IclNotebook.Teaching.CheckOutcome.Wrong, "yours:  a <b>\nexpected: c");
        Assert.Contains("#e7f6e7", views.Html(right), StringComparison.Ordinal);
        Assert.Contains("✔ metric: all right", views.Html(right), StringComparison.Ordinal);
        Assert.Contains("✘ prompts: yours:  a &lt;b&gt;", views.Html(wrong), StringComparison.Ordinal);   // the student's text, encoded
        Assert.Contains("#fbe9e9", views.Html(wrong), StringComparison.Ordinal);
        var summary = views.Html(new IclNotebook.Teaching.ExerciseSummary([right, wrong]))!;
        Assert.Contains("1 of 2 exercises right, 1 wrong, 0 not done yet", summary, StringComparison.Ordinal);
        Assert.Equal(right.ToString(), NotebookViews.Text(right));
    }

    [Fact]
    public void Activation_caches_show_hook_names_axes_and_shapes()
    {
        var model = ModelLoader.LoadFolder(Fixtures.TinyModel);
        var tokens = new Gpt2Tokenizer().ToTokens(["Review: great. Sentiment:"]);
        var (logits, cache) = model.RunWithCache(tokens.ToTensor());
        using (logits)
        using (cache)
        {
            var html = new NotebookViews().Html(cache)!;
            int n = tokens.Ids[0].Length;
            Assert.Contains($"<code>blocks.1.attn.hook_pattern</code></td><td>[batch, head, dest_pos, src_pos]</td><td>[1, 4, {n}, {n}]</td>", html, StringComparison.Ordinal);
            Assert.Contains($"ActivationCache: {cache.Count} activations", html, StringComparison.Ordinal);
            Assert.Contains("blocks.0.hook_resid_pre", NotebookViews.Text(cache), StringComparison.Ordinal);

            var pattern = NotebookViews.Text(cache["blocks.0.attn.hook_pattern"]);
            Assert.StartsWith($"Tensor [1, 4, {n}, {n}] Float32 on cpu; mean ", pattern, StringComparison.Ordinal);
            Assert.Contains("\nfirst values: 1, 0, 0,", pattern, StringComparison.Ordinal); // position 0 attends only to itself
            Assert.Contains("<pre>Tensor [", new NotebookViews().Html(cache["blocks.0.attn.hook_pattern"]), StringComparison.Ordinal);

            var modelHtml = new NotebookViews().Html(model)!;
            Assert.Contains("HookedTransformer <b>tiny-gpt2-a</b>", modelHtml, StringComparison.Ordinal);
            Assert.Contains("<tr><th>layers</th><td>2</td></tr>", modelHtml, StringComparison.Ordinal);
            Assert.Contains("processed like TransformerLens", NotebookViews.Text(model), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Patch_results_show_their_heatmap_facts_and_largest_effects()
    {
        var html = new NotebookViews().Html(PlotFixtures.Resid())!;
        Assert.Contains("Plotly.newPlot(", html, StringComparison.Ordinal);
        Assert.Contains("[Layer, Pos] = [3, 4]", html, StringComparison.Ordinal);
        Assert.Contains("Largest 8 effects", html, StringComparison.Ordinal);
        var largest = PlotFixtures.Resid().Largest(1).Single();
        Assert.Equal("Layer 0, Pos 0: <|endoftext|>", largest.Where); // flat 0: -1.5, the largest |value| (flat 11 is 1.25)
        Assert.Equal(-1.5, largest.Normalised, 12);
        Assert.Null(new NotebookViews().Html(42));
        Assert.Equal("42", NotebookViews.Text(42));
    }

    [Fact]
    public void Only_the_first_figure_a_set_of_views_shows_carries_plotly_js()
    {
        var views = new NotebookViews();
        var first = views.Html(PatchPlots.Plot(PlotFixtures.Resid()))!;
        var second = views.Html(PlotFixtures.Heads())!;                                 // a result's figure shares the page too
        Assert.Contains("plotly.js v2.28.0", first, StringComparison.Ordinal);
        Assert.DoesNotContain("plotly.js v2.28.0", second, StringComparison.Ordinal);
        Assert.Contains("__iclPlotlyQueue", second, StringComparison.Ordinal); // waits for the bundle instead
        Assert.Contains("Run the setup cell", second, StringComparison.Ordinal);   // and says how to get it back if it never comes
        Assert.Contains("plotly.js v2.28.0", new NotebookViews().Html(PatchPlots.Plot(PlotFixtures.Resid())), StringComparison.Ordinal); // a re-run setup
        Assert.Contains("plotly.js v2.28.0", PatchPlots.Plot(PlotFixtures.Resid()).ToNotebookHtml(), StringComparison.Ordinal);    // on its own
    }

    [Fact]
    public void Library_errors_read_as_their_message_alone_with_the_details_kept()
    {
        var error = Assert.Throws<IclException>(() => IclTask.Parse("{\"name\": 3}", "bad.json"));
        Assert.Equal("bad.json: name: must be a string, not a number.", error.ToString());
        Assert.Null(error.StackTrace);
        Assert.Contains("   at ", error.Details, StringComparison.Ordinal);
        Assert.StartsWith("IclNotebook.IclException: bad.json: name:", error.Details, StringComparison.Ordinal);
    }
}
