using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using IclNotebook.Tests.Notebooks;

namespace IclNotebook.Tests.Packaging;

/// <summary>
/// The kit as a user outside the repository gets it, from a local feed packed from this checkout: notebook 01 with
/// <c>#r "nuget: IclNotebook"</c>, a file-based app with <c>#:package</c>, and <c>icl</c> installed as a .NET tool; each in
/// a temporary folder outside the checkout, so the toy model and tasks can only come from the packages.
/// </summary>
[Collection("notebooks")]   // dotnet pack builds src/ in Release, as the notebooks' set-up cell does: one at a time
[Trait(Lane.Name, Lane.Full)]
public sealed class PackageTests(LocalFeed feed) : IClassFixture<LocalFeed>
{
    [Fact]
    public void The_library_package_holds_the_dll_docs_readme_data_extension_and_build_targets()
    {
        using var zip = ZipFile.OpenRead(feed.Package("IclNotebook"));
        var names = zip.Entries.Select(e => e.FullName).ToList();
        foreach (var required in new[]
                 {
                     "lib/net10.0/IclNotebook.dll", "lib/net10.0/IclNotebook.xml", "README.md", "interactive-extensions/dotnet/extension.dib",
                     "buildTransitive/IclNotebook.targets", "data/models/toy-icl-2l/model.safetensors", "data/models/toy-icl-2l/config.json",
                     "data/tasks/associative-recall.json", "data/datasets/function-vectors/abstractive/antonym.json", "data/datasets/function-vectors/LICENSE",
                 })
            Assert.Contains(required, names);
        Assert.True(new FileInfo(feed.Package("IclNotebook")).Length < 10_000_000, "the library package stays under 10 MB");
        using var reader = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var nuspec = reader.ReadToEnd();
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
        Assert.Contains($"<version>{feed.Version}</version>", nuspec, StringComparison.Ordinal);
    }

    [Fact]
    public void Notebook_01_runs_from_the_package_outside_the_repository()
    {
        using var folder = new TempFolder("icl-package-notebook");
        var notebook = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Notebooks, "01-icl-walkthrough.ipynb")))!;
        var cells = notebook["cells"]!.AsArray();
        foreach (var cell in cells.Where(c => c!["cell_type"]!.GetValue<string>() == "code"))
        {
            var source = string.Concat(cell!["source"]!.AsArray().Select(s => s!.GetValue<string>()));
            if (source.StartsWith("#load \"setup/Build.csx\"", StringComparison.Ordinal))
                source = $"#i \"nuget: {feed.Path}\"\n#r \"nuget: IclNotebook, {feed.Version}\"";
            else if (source.StartsWith("#load \"setup/Load.csx\"", StringComparison.Ordinal))
                source = source["#load \"setup/Load.csx\"\n".Length..];
            cell["source"] = source;
        }
        File.WriteAllText(folder["01.ipynb"], notebook.ToJsonString());
        Directory.CreateDirectory(folder[".config"]);
        File.Copy(Path.Combine(Repo.Root, ".config", "dotnet-tools.json"), folder[".config/dotnet-tools.json"]);
        var run = Repo.Dotnet(["tool", "run", "dotnet-repl", "--", "--run", "01.ipynb", "--exit-after-run", "--output-path", folder["out.ipynb"],
            "--output-format", "ipynb"], folder.Path, new Dictionary<string, string> { ["ICL_MODEL"] = "toy-icl-2l", ["ICL_TASK"] = "associative-recall" });
        Assert.True(File.Exists(folder["out.ipynb"]), $"no executed notebook (exit {run.ExitCode}):\n{run.StdOut}\n{run.StdErr}");
        var executed = ExecutedNotebook.Load(folder["out.ipynb"], folder["01.ipynb"]);
        var failed = executed.Cells.Where(c => c.Errors.Any()).Select(c => $"cell {c.Index}: {c.Errors.First().GetProperty("evalue").GetString()}").ToList();
        Assert.True(run.ExitCode == 0 && failed.Count == 0, $"exit {run.ExitCode}; failed cells:\n{string.Join("\n", failed)}\n{run.StdErr}");
        var reference = executed.Cells.Single(c => c.Source.StartsWith("#i \"nuget:", StringComparison.Ordinal));
        Assert.Contains($"IclNotebook {feed.Version}: views registered", reference.StdOut + string.Concat(reference.Html), StringComparison.Ordinal);
        Assert.Contains("Plotly.newPlot(", executed.AllHtml, StringComparison.Ordinal);             // heatmaps, by the extension's formatters
        Assert.Contains("Attention head (all positions) patching", executed.AllHtml, StringComparison.Ordinal);
        Assert.Contains("class=\"icl-tok", executed.AllHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_based_app_with_the_package_runs_the_toy_models_analysis_and_writes_its_figures()
    {
        using var folder = new TempFolder("icl-package-app");
        File.WriteAllText(folder["nuget.config"], $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="icl-local" value="{feed.Path}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(folder["app.cs"], $$"""
            #:package IclNotebook@{{feed.Version}}
            using IclNotebook.Icl;
            using IclNotebook.Loading;
            using IclNotebook.Patching;
            using IclNotebook.Plots;

            using var model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.Toy));
            var task = IclTask.Load(TaskFiles.Resolve("associative-recall"));
            using var setup = PatchingSetup.Create(model, task.BuildPrompts(model.Tokenizer));
            var heads = new FastEngine().Run(setup, PatchTargets.AttnHeadAllPosEvery);
            ChartExport.SaveHtml(PatchPlots.Plot(heads), Path.Combine(args[0], "heads.html"));
            Console.WriteLine($"top: {heads.Largest(1)[0].Where}");
            """);
        var output = folder["figures"];
        Directory.CreateDirectory(output);
        var run = Repo.Dotnet(["run", "app.cs", "--", output], folder.Path, timeoutSeconds: 900);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.StdOut}\n{run.StdErr}");
        Assert.Contains("top: PatchType", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("Plotly.newPlot(", File.ReadAllText(Path.Combine(output, "heads.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_tool_installs_from_the_feed_and_analyzes_the_toy_model_with_a_shipped_task_by_name()
    {
        using var folder = new TempFolder("icl-package-tool");
        var tools = folder["tools"];
        var install = Repo.Dotnet(["tool", "install", "--tool-path", tools, "--add-source", feed.Path, "IclNotebook.Cli", "--version", feed.Version],
            folder.Path, timeoutSeconds: 900);
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install.StdOut}\n{install.StdErr}");
        var icl = Path.Combine(tools, "icl");
        var version = Repo.Run(icl, ["--version"], folder.Path);
        Assert.Equal($"icl {feed.Version}", version.StdOut.Trim());
        var analyze = Repo.Run(icl, ["analyze", "--model", "toy-icl-2l", "--task", "associative-recall", "--out", folder["run"], "--quiet"], folder.Path);
        Assert.True(analyze.ExitCode == 0, $"icl analyze failed:\n{analyze.StdOut}\n{analyze.StdErr}");
        foreach (var file in new[] { "results.json", "report.html", "resid_pre.html", "attn_head_all_pos_every.html" })
            Assert.True(File.Exists(Path.Combine(folder["run"], file)), $"{file} missing");
        if (IclNotebook.Plots.PngExport.FindChromium() is not null || Environment.GetEnvironmentVariable("ICL_REQUIRE_PNG") == "1")
            Assert.True(File.Exists(Path.Combine(folder["run"], "resid_pre.png")), "resid_pre.png missing: the folder is complete with PNGs where Chromium is");
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder["run"], "results.json")));
        Assert.Equal(feed.Version, results.RootElement.GetProperty("tool").GetProperty("version").GetString());
        Assert.Equal("associative-recall", results.RootElement.GetProperty("task").GetProperty("name").GetString());
    }
}
