using IclNotebook.Twins;

namespace IclNotebook.Tests.Notebooks;

public class TwinGeneratorTests
{
    [Fact]
    public void Every_twin_is_generated_from_its_notebook()
    {
        var notebooks = Directory.GetFiles(Repo.Notebooks, "*.ipynb");
        Assert.NotEmpty(notebooks);
        foreach (var notebook in notebooks)
        {
            var twin = TwinGenerator.TwinPath(notebook);
            Assert.True(File.Exists(twin), $"{Path.GetFileName(twin)} is missing; run: dotnet run --project src/IclNotebook.Twins");
            Assert.True(File.ReadAllText(twin) == TwinGenerator.Generate(notebook),
                $"{Path.GetFileName(twin)} is out of date with {Path.GetFileName(notebook)}; run: dotnet run --project src/IclNotebook.Twins");
        }
        // And no twin without a notebook.
        Assert.All(Directory.GetFiles(Repo.Notebooks, "*.cs"), cs => Assert.True(File.Exists(Path.ChangeExtension(cs, ".ipynb")), $"{cs} has no notebook"));
    }

    [Fact]
    public void Markdown_becomes_comments_usings_move_up_setup_goes_and_trailing_expressions_are_displayed()
    {
        var twin = Generate(
            ("markdown", "# Title\n\nSome *prose*."),
            ("code", "#load \"setup/Build.csx\""),
            ("code", "#load \"setup/Load.csx\"\nusing IclNotebook;\nusing static System.Math;"),
            ("code", "var x = 1;\nx + 1"),
            ("code", "using IclNotebook;\nif (x > 0)\n{\n    display(x);\n}"));
        Assert.Contains("#:project ../src/IclNotebook/IclNotebook.csproj", twin, StringComparison.Ordinal);
        Assert.Contains("// # Title\n//\n// Some *prose*.\n", twin, StringComparison.Ordinal);
        Assert.DoesNotContain("#load", twin, StringComparison.Ordinal);
        Assert.Equal(1, twin.Split('\n').Count(l => l == "using IclNotebook;"));
        Assert.True(twin.IndexOf("using static System.Math;", StringComparison.Ordinal) < twin.IndexOf("Start(\"", StringComparison.Ordinal));
        Assert.Contains("var x = 1;\ndisplay(x + 1);\n", twin, StringComparison.Ordinal);
        Assert.Contains("    display(x);\n}\n", twin, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cell_ending_in_a_multi_line_expression_is_refused_with_the_fix()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Generate(("code", "var x = 1;\nx +\n    1")));
        Assert.Contains("cell 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("display(...)", e.Message, StringComparison.Ordinal);
    }

    private static System.Text.Json.Nodes.JsonNode?[] SourceLines(string source)
    {
        var lines = source.Split('\n');
        return lines.Select((l, i) => (System.Text.Json.Nodes.JsonNode?)System.Text.Json.Nodes.JsonValue.Create(i < lines.Length - 1 ? l + "\n" : l)).ToArray();
    }

    private static string Generate(params (string Type, string Source)[] cells)
    {
        using var temp = new TempFolder("icl-twin");
        var path = temp["notebook.ipynb"];
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["cells"] = new System.Text.Json.Nodes.JsonArray(cells.Select(c => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject
            {
                ["cell_type"] = c.Type,
                ["source"] = new System.Text.Json.Nodes.JsonArray(SourceLines(c.Source)),
            }).ToArray()),
        };
        File.WriteAllText(path, json.ToJsonString());
        return TwinGenerator.Generate(path);
    }
}
