using IclNotebook.Notebooks;

namespace IclNotebook.Tests.Notebooks;

public class CellGuardTests
{
    private static (string, object?)[] Vars(params (string, object?)[] v) => v;

    [Fact]
    public void A_cell_reading_what_a_failed_cell_left_null_is_refused_in_one_line_until_it_is_made()
    {
        var guard = new CellGuard();
        guard.AfterCell("var model = await Notebook.LoadModelAsync();\ndisplay(model);", failed: true, Vars(("model", null)));
        var message = guard.BeforeCell("var prompts = task.BuildPrompts(model.Tokenizer);", Vars(("model", null)));
        Assert.NotNull(message);
        Assert.Contains("'model'", message, StringComparison.Ordinal);
        Assert.Contains("var model = await Notebook.LoadModelAsync();", message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", message, StringComparison.Ordinal);
        Assert.Null(guard.BeforeCell("Console.WriteLine(\"model\"); x.model = 1;", Vars(("model", null))));   // a string, a member: not the variable
        Assert.Null(guard.BeforeCell("var model = Load();", Vars(("model", null))));                           // the cell makes it again
        Assert.Null(guard.BeforeCell("var (model, cache) = Run();", Vars(("model", null))));                 // by deconstruction
        Assert.NotNull(guard.BeforeCell("Check(x => model.Run(x));", Vars(("model", null))));                 // a lambda reads it
        guard.AfterCell("model = Load();", failed: false, Vars(("model", new object())));
        Assert.Null(guard.BeforeCell("model.Run();", Vars(("model", new object()))));
    }

    [Fact]
    public void Only_a_failed_cells_own_null_variables_count()
    {
        var guard = new CellGuard();
        guard.AfterCell("string? answer = null;", failed: false, Vars(("answer", null)));             // null on purpose, the cell ran
        guard.AfterCell("var task = Load();", failed: true, Vars(("answer", null), ("task", null)));  // answer is not this cell's
        Assert.Null(guard.BeforeCell("Check(answer);", Vars(("answer", null), ("task", null))));
        Assert.NotNull(guard.BeforeCell("task.Queries", Vars(("answer", null), ("task", null))));
        var shadowed = Vars(("task", null), ("task", new object()));                                  // declared again later: the latest wins
        Assert.Null(guard.BeforeCell("task.Queries", shadowed));
    }

    [Fact]
    public void What_a_refused_cell_would_have_declared_points_at_the_same_first_failure()
    {
        var guard = new CellGuard();
        guard.AfterCell("var model = Load();", failed: true, Vars(("model", null)));
        Assert.NotNull(guard.BeforeCell("var prompts = task.BuildPrompts(model.Tokenizer);\nvar (logits, cache) = model.Run();", Vars(("model", null))));
        foreach (var later in new[] { "display(prompts);", "cache[0]", "logits.shape" })
        {
            var message = guard.BeforeCell(later, Vars(("model", null)));                          // never declared: refused, not a compile error
            Assert.NotNull(message);
            Assert.Contains("var model = Load();", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Comments_strings_named_arguments_and_the_cells_own_bindings_are_not_uses()
    {
        var guard = new CellGuard();
        guard.AfterCell("clean = Build();\ncorrupted = Throw();", failed: true, Vars(("clean", "x"), ("corrupted", null)));
        var nulls = Vars(("corrupted", null));
        Assert.Null(guard.BeforeCell("// The corrupted run's metric\nConsole.WriteLine($\"(corrupted baseline {b})\");", nulls));
        Assert.Null(guard.BeforeCell("Run(corrupted: tokens);", nulls));
        Assert.Null(guard.BeforeCell("corrupted ??= Build();", nulls));
        Assert.Null(guard.BeforeCell("if (TryLoad(out var corrupted)) Use(corrupted);", nulls));
        Assert.Null(guard.BeforeCell("foreach (var corrupted in all) Use(corrupted);", nulls));
        Assert.Null(guard.BeforeCell("if (x is { } corrupted) Use(corrupted);", nulls));
        Assert.Null(guard.BeforeCell("xs.Select(corrupted => corrupted.Length)", nulls));
        Assert.NotNull(guard.BeforeCell("Check(clean, corrupted)", nulls));
    }

    [Fact]
    public void A_discard_is_never_recorded_and_a_cell_that_runs_again_clears_its_names()
    {
        var guard = new CellGuard();
        guard.AfterCell("var model = Load();", failed: true, Vars(("model", null)));
        Assert.NotNull(guard.BeforeCell("var (_, cache) = model.RunWithCache(t);", Vars(("model", null))));
        Assert.Null(guard.BeforeCell("xs.Select(_ => 1)", Vars(("model", null))));                        // '_' is a discard, not a variable
        guard.AfterCell("string? model = null;", failed: false, Vars(("model", null)));                  // the cell ran: null on purpose now
        Assert.Null(guard.BeforeCell("Check(model)", Vars(("model", null))));
    }
}
