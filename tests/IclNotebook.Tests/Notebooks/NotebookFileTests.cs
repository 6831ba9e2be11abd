using System.Text.Json;

namespace IclNotebook.Tests.Notebooks;

/// <summary>The committed notebooks open in VS Code ready to run (C# kernel, Polyglot metadata) and carry no outputs.</summary>
public class NotebookFileTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Repo.NotebookNames) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Notebook_is_a_csharp_polyglot_notebook_without_outputs(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Notebooks, name + ".ipynb")));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        var meta = root.GetProperty("metadata");
        Assert.Equal(".net-csharp", meta.GetProperty("kernelspec").GetProperty("name").GetString());
        Assert.Equal("csharp", meta.GetProperty("polyglot_notebook").GetProperty("kernelInfo").GetProperty("defaultKernelName").GetString());
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(cells.Count, cells.Select(c => c.GetProperty("id").GetString()).Distinct().Count());
        foreach (var cell in cells.Where(c => c.GetProperty("cell_type").GetString() == "code"))
        {
            Assert.Equal("csharp", cell.GetProperty("metadata").GetProperty("polyglot_notebook").GetProperty("kernelName").GetString());
            Assert.Equal(0, cell.GetProperty("outputs").GetArrayLength()); // outputs would come from some model; commit none
            Assert.Equal(JsonValueKind.Null, cell.GetProperty("execution_count").ValueKind);
        }
        // The walkthrough starts by building and loading the library, in that order.
        var code = cells.Where(c => c.GetProperty("cell_type").GetString() == "code").Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(s => s.GetString()))).ToList();
        Assert.StartsWith("#load \"setup/Build.csx\"", code[0], StringComparison.Ordinal);
        Assert.StartsWith("#load \"setup/Load.csx\"", code[1], StringComparison.Ordinal);
    }
}
