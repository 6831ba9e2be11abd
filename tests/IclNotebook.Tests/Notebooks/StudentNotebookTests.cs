using System.Text.Json.Nodes;
using IclNotebook.Twins;

namespace IclNotebook.Tests.Notebooks;

/// <summary>The student notebooks are generated from the instructor ones: solutions out, stubs in, nothing else changed.</summary>
public class StudentNotebookTests
{
    [Fact]
    public void Every_student_notebook_is_generated_from_its_source()
    {
        var sources = Directory.GetFiles(Repo.Notebooks, "*.ipynb").Where(p => !StudentNotebook.IsStudent(p)).ToList();
        var withSolutions = sources.Where(p => StudentNotebook.HasSolutions(File.ReadAllText(p))).ToList();
        Assert.NotEmpty(withSolutions);
        foreach (var source in withSolutions)
        {
            var student = StudentNotebook.StudentPath(source);
            Assert.True(File.Exists(student) && File.ReadAllText(student) == StudentNotebook.Generate(File.ReadAllText(source), Path.GetFileName(source)),
                $"{Path.GetFileName(student)} is out of date with {Path.GetFileName(source)}; run: dotnet run --project src/IclNotebook.Twins");
        }
        Assert.All(Directory.GetFiles(Repo.Notebooks, "*.student.ipynb"), s => Assert.Contains(s, withSolutions.Select(StudentNotebook.StudentPath)));
    }

    [Fact]
    public void Solutions_become_the_prompt_and_the_stub_at_their_indentation_and_outputs_are_cleared()
    {
        var student = Generate(
            ("markdown", "# Exercise\n\nDo it.\n<!-- BEGIN SOLUTION -->\nThe answer is 42.\n<!-- END SOLUTION -->"),
            ("code", "double F(int x)\n{\n    // BEGIN SOLUTION\n    // stub: return double.NaN;\n    return x * 2.0;\n    // END SOLUTION\n}\nCheck(F(1))"),
            ("code", "int[]? xs = null;\n// BEGIN SOLUTION\nxs = [1, 2];\n// END SOLUTION\nCheck(xs)"),
            ("code", "var untouched = 1;"),
            ("code", "    // BEGIN SOLUTION\n    // stub: if (x)\n    // stub:     y();\n    z();\n    // END SOLUTION"));
        var cells = student["cells"]!.AsArray();
        Assert.Equal("# Exercise\n\nDo it.", Source(cells[0]));
        Assert.Equal("double F(int x)\n{\n    // your code here\n    return double.NaN;\n}\nCheck(F(1))", Source(cells[1]));
        Assert.Equal("int[]? xs = null;\n// your code here\nCheck(xs)", Source(cells[2]));
        Assert.Equal("var untouched = 1;", Source(cells[3]));
        Assert.Equal("    // your code here\n    if (x)\n        y();", Source(cells[4]));        // a stub line keeps its own indentation
        Assert.All(cells.Where(c => c!["cell_type"]!.GetValue<string>() == "code"), c => Assert.Empty(c!["outputs"]!.AsArray()));
    }

    [Theory]
    [InlineData("// BEGIN SOLUTION\nx = 1;", "is never closed")]
    [InlineData("x = 1;\n// END SOLUTION", "without // BEGIN SOLUTION")]
    [InlineData("// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION", "inside another solution region")]
    [InlineData("// stub: x = 0;", "outside a solution region")]
    public void Broken_markers_are_refused_naming_the_cell_and_line(string code, string expected)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Generate(("markdown", "# T"), ("code", code)));
        Assert.Contains("exercises.ipynb, cell 2", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static string Source(JsonNode? cell) => string.Concat(cell!["source"]!.AsArray().Select(s => s!.GetValue<string>()));

    private static JsonNode Generate(params (string Type, string Source)[] cells)
    {
        var json = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select(c =>
            {
                var lines = c.Source.Split('\n');
                var cell = new JsonObject
                {
                    ["cell_type"] = c.Type,
                    ["source"] = new JsonArray(lines.Select((l, i) => (JsonNode?)JsonValue.Create(i < lines.Length - 1 ? l + "\n" : l)).ToArray()),
                };
                if (c.Type == "code") cell["outputs"] = new JsonArray(new JsonObject { ["output_type"] = "stream", ["text"] = "old" });
                return (JsonNode)cell;
            }).ToArray()),
        };
        return JsonNode.Parse(StudentNotebook.Generate(json.ToJsonString(), "exercises.ipynb"))!;
    }
}
