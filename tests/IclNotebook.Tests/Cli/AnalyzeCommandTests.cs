using System.Text.Json;
using IclNotebook.Tests.Patching;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl analyze` end to end on the tiny fixture model, as a real process.</summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-analyze");

    public void Dispose() => _dir.Dispose();

    private static string Task => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");

    [Fact]
    public void Colab_exact_analysis_writes_every_file_and_matches_the_TransformerLens_goldens()
    {
        var outDir = _dir["run"];
        var outcome = IclProcess.Run(["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--colab-exact", "--attribution", "--quiet"],
            new Dictionary<string, string> { ["ICL_PNG"] = "1" });
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.Equal(Path.GetFullPath(outDir), outcome.StdOut.Trim());
        foreach (var file in new[] { "results.json", "report.html", "resid_pre.html", "attn_head_all_pos_every.html", "attribution_resid_pre.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        Assert.DoesNotContain(Directory.GetDirectories(_dir.Path), d => Path.GetFileName(d).StartsWith('.'));
        // PNGs are required where Chromium is installed (.ci/run installs it and sets ICL_REQUIRE_PNG=1).
        if (IclNotebook.Plots.PngExport.FindChromium() is not null || Environment.GetEnvironmentVariable("ICL_REQUIRE_PNG") == "1")
            foreach (var png in new[] { "resid_pre.png", "attn_head_all_pos_every.png", "attribution_resid_pre.png" })
            {
                var bytes = File.ReadAllBytes(Path.Combine(outDir, png));
                Assert.True(bytes.Length > 10_000 && bytes[0] == 0x89 && bytes[1] == (byte)'P', $"{png} is not a rendered PNG");
            }
        var report = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.DoesNotContain("<script src=\"http", report, StringComparison.Ordinal);
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(report, "plotly\\.js v2\\.28\\.0"));     // the bundle once, not per figure
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Count(report, "Plotly\\.newPlot\\(\"figure-")); // resid, heads and their attribution

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("tiny-gpt2-a", root.GetProperty("model").GetProperty("name").GetString());
        Assert.StartsWith("local folder ", root.GetProperty("model").GetProperty("revision").GetString(), StringComparison.Ordinal);
        Assert.Equal("default", root.GetProperty("model").GetProperty("processing").GetString());
        Assert.Equal("last-column", root.GetProperty("read").GetString());
        Assert.Equal("sequential", root.GetProperty("replay").GetString());
        Assert.Equal("label-map", root.GetProperty("task").GetProperty("corruption").GetString());
        Assert.Equal(4, root.GetProperty("prompts").GetArrayLength());
        Assert.Equal(138, root.GetProperty("prompts")[1].GetProperty("readPosition").GetInt32());
        AssertTransformerLensResults(root);
        Assert.Equal(2, root.GetProperty("attribution").GetArrayLength());

        // The report's top effect is the largest |normalised| cell of the exact results, with its interval from results.json.
        var cells = root.GetProperty("results").EnumerateArray().SelectMany(r =>
            r.GetProperty("normalisedValues").EnumerateArray().Select((v, i) => (Value: v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0,
                Low: r.GetProperty("normalisedLow")[i], High: r.GetProperty("normalisedHigh")[i]))).ToList();
        var top = cells.MaxBy(c => Math.Abs(c.Value));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{top.Low.GetDouble():F3}, {top.High.GetDouble():F3}]"), report, StringComparison.Ordinal);
        Assert.Contains("<th>95 % interval</th>", report, StringComparison.Ordinal);
    }

    /// <summary>
    /// The Colab's read on a task whose corruption is explicit (the labels its sequential loop
    /// produces, written out): TransformerLens's goldens, without the sequential replay, which an
    /// explicit corruption does not have. --colab-exact on the same task says so and gives the same.
    /// </summary>
    [Theory]
    [InlineData("--read", "last-column")]
    [InlineData("--colab-exact", null)]
    public void The_colab_read_on_an_explicit_corruption_reproduces_the_TransformerLens_goldens(string option, string? value)
    {
        var outDir = _dir["explicit"];
        var task = Path.Combine(AppContext.BaseDirectory, "fixtures", "tasks", "sentiment-explicit.json");
        var args = new List<string> { "analyze", "--model", Fixtures.TinyModel, "--task", task, "--out", outDir, "--quiet", option };
        if (value is not null) args.Add(value);
        var outcome = IclProcess.Run(args);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        if (option == "--colab-exact")
            Assert.Contains("icl: note: --colab-exact replays a corruption sequentially only for kind 'label-map'; this task's corruption is 'explicit'", outcome.StdErr, StringComparison.Ordinal);
        else
            Assert.Equal("", outcome.StdErr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("last-column", root.GetProperty("read").GetString());
        Assert.Equal("simultaneous", root.GetProperty("replay").GetString());
        Assert.Equal("explicit", root.GetProperty("task").GetProperty("corruption").GetString());
        Assert.Equal("last-column", root.GetProperty("results")[0].GetProperty("result").GetProperty("settings").GetProperty("read").GetString());
        AssertTransformerLensResults(root);
    }

    /// <summary>
    /// icl analyze on each family's fixture folder: the task tokenized by the model's tokenizer.json,
    /// a complete report, and TransformerLens's numbers (its goldens ran the same default corruption,
    /// read at each prompt's last real token).
    /// </summary>
    [Theory]
    [InlineData("tiny-neox-a")]
    [InlineData("tiny-llama-a")]
    [InlineData("tiny-qwen2-a")]
    public void Analyze_runs_every_family_and_matches_TransformerLens(string model)
    {
        var outDir = _dir[model];
        var outcome = IclProcess.Run(["analyze", "--model", Families.FamilyFixture.Folder(model), "--task", Task, "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        foreach (var file in new[] { "results.json", "report.html", "resid_pre.html", "attn_head_all_pos_every.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        var golden = Families.FamilyFixture.Golden(model, "processed");
        Assert.Equal(golden.GetProperty("metric").GetProperty("clean_baseline").GetDouble(), root.GetProperty("baselines").GetProperty("clean").GetDouble(), 1e-4);
        Assert.Equal(golden.GetProperty("metric").GetProperty("corrupted_baseline").GetDouble(), root.GetProperty("baselines").GetProperty("corrupted").GetDouble(), 1e-4);
        foreach (var (i, target) in new[] { (0, "resid_pre"), (1, "attn_head_all_pos_every") })
        {
            var normalised = root.GetProperty("results")[i].GetProperty("normalisedValues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var (_, expected) = PatchingFixture.Golden(golden, "patching_normalised", target);
            TensorAssert.Close(expected, normalised, 1e-4, $"{model} {target}: TL's and the run's normalised values");
        }
    }

    /// <summary>
    /// icl analyze --model OWNER/NAME --revision R through a loopback hub (HF_ENDPOINT): the NeoX
    /// fixture served as a Pythia repository on a training-checkpoint branch is downloaded into
    /// HF_HUB_CACHE, analysed, and recorded with the branch's commit; TransformerLens's numbers hold.
    /// </summary>
    [Fact]
    public void Analyze_takes_any_hub_repository_at_a_revision()
    {
        using var hub = new IclNotebook.Tests.Loading.Hub.LoopbackHub();
        var step = hub.AddBranch("step3000");
        foreach (var file in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors" })
            hub.AddFile("EleutherAI/pythia-fixture", file, File.ReadAllBytes(Path.Combine(Families.FamilyFixture.Folder("tiny-neox-a"), file)), file.EndsWith(".safetensors", StringComparison.Ordinal), "step3000");
        var cache = _dir["hub-cache"];
        var outDir = _dir["hub-run"];
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint, ["HF_HUB_CACHE"] = cache };

        var outcome = IclProcess.Run(["analyze", "--model", "EleutherAI/pythia-fixture", "--revision", "step3000", "--targets", "resid_pre", "--task", Task, "--out", outDir, "--quiet"], env);

        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.True(File.Exists(Path.Combine(cache, "models--EleutherAI--pythia-fixture", "snapshots", step, "model.safetensors")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("EleutherAI/pythia-fixture", root.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(step, root.GetProperty("model").GetProperty("revision").GetString());
        var golden = Families.FamilyFixture.Golden("tiny-neox-a", "processed");
        Assert.Equal(golden.GetProperty("metric").GetProperty("clean_baseline").GetDouble(), root.GetProperty("baselines").GetProperty("clean").GetDouble(), 1e-4);
        var normalised = root.GetProperty("results")[0].GetProperty("normalisedValues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var (_, expected) = PatchingFixture.Golden(golden, "patching_normalised", "resid_pre");
        TensorAssert.Close(expected, normalised, 1e-4, "resid_pre: TL's and the run's normalised values");
    }

    /// <summary>Baselines and both targets of the seed analysis equal TransformerLens's goldens (processed weights) to 1e-4.</summary>
    private static void AssertTransformerLensResults(JsonElement root)
    {
        var golden = Fixtures.Json(Fixtures.Golden("processed"));
        Assert.Equal(golden.GetProperty("metric").GetProperty("clean_baseline").GetDouble(), root.GetProperty("baselines").GetProperty("clean").GetDouble(), 1e-4);
        Assert.Equal(golden.GetProperty("metric").GetProperty("corrupted_baseline").GetDouble(), root.GetProperty("baselines").GetProperty("corrupted").GetDouble(), 1e-4);
        var results = root.GetProperty("results");
        foreach (var (i, target) in new[] { (0, "resid_pre"), (1, "attn_head_all_pos_every") })
        {
            var r = results[i].GetProperty("result");
            Assert.Equal(target, r.GetProperty("target").GetString());
            var normalised = results[i].GetProperty("normalisedValues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var (shape, expected) = PatchingFixture.Golden("processed", "patching_normalised", target);
            Assert.Equal(shape, r.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            TensorAssert.Close(expected, normalised, 1e-4, $"{target}: TL's and the run's normalised values");
        }
    }
}
