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
        var outcome = IclProcess.Run(["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--colab-exact", "--attribution", "--quiet"]);
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
        Assert.Equal(3, root.GetProperty("schemaVersion").GetInt32());
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

    [Fact]
    public void Ctrl_c_stops_promptly_and_leaves_no_output_folder()
    {
        var outDir = _dir["interrupted"];
        // The reference engine on every by-position head target: far longer than the interrupt delay.
        var (outcome, afterInterrupt) = IclProcess.RunAndInterrupt(
            ["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--engine", "reference", "--targets", "attn_head_by_pos_every", "--quiet"],
            TimeSpan.FromSeconds(4));
        Assert.Equal(130, outcome.ExitCode);
        Assert.Contains("icl: cancelled.", outcome.StdErr, StringComparison.Ordinal);
        Assert.True(afterInterrupt < TimeSpan.FromSeconds(10), $"took {afterInterrupt} to stop");
        Assert.False(Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(_dir.Path), d => Path.GetFileName(d).StartsWith('.'));
    }

    /// <summary>Holds on both builds: where CUDA is available the run uses it, elsewhere it is refused before any work.</summary>
    [Fact]
    public void Cuda_is_used_where_available_and_refused_before_any_work_elsewhere()
    {
        var outDir = _dir["cuda"];
        var outcome = IclProcess.Run(["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--targets", "resid_pre", "--device", "cuda", "--quiet"]);
        IclNotebook.Runtime.TorchRuntime.EnsureLoaded();
        if (TorchSharp.torch.cuda.is_available())
        {
            Assert.True(outcome.ExitCode == 0, outcome.StdErr);
            Assert.True(File.Exists(Path.Combine(outDir, "results.json")));
            return;
        }
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("CUDA is not available", Assert.Single(outcome.ErrLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>
    /// The task is tokenized before the model is loaded: a label that is not one token is reported
    /// for a model that would need a download (here: offline, empty cache), not the missing model.
    /// </summary>
    [Fact]
    public void A_bad_label_is_reported_before_the_model_is_looked_up()
    {
        var outDir = _dir["early"];
        var task = EditedTask("early-label", t => ReplaceFirstQueryLabel(t, "overwhelmingly positive"));
        var env = new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = _dir["empty-cache"] };
        var outcome = IclProcess.Run(["analyze", "--model", "gpt2", "--task", task, "--out", outDir, "--quiet"], env);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("must be one token", Assert.Single(outcome.ErrLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>Tab completion through System.CommandLine's [suggest] directive (what dotnet-suggest calls).</summary>
    [Theory]
    [InlineData("analyze --mo", "--model")]
    [InlineData("analyze --targets attn_head_all", "attn_head_all_pos_every")]
    [InlineData("analyze --targets resid_pre,mlp", "resid_pre,mlp_out")]
    [InlineData("analyze --read ", "last-column")]
    [InlineData("download gpt2-m", "gpt2-medium")]
    public void Completion_offers_options_and_their_values(string line, string expected)
    {
        var outcome = IclProcess.Run([$"[suggest:{line.Length}]", line]);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains(expected, outcome.StdOut.Split('\n', StringSplitOptions.TrimEntries));
    }

    public static TheoryData<string> BadCases => new() { "unknown-target", "missing-task", "out-exists", "unknown-engine", "unknown-model", "invalid-json", "label-not-one-token", "length-mismatch", "offline" };

    /// <summary>The sentiment task with one edit, written to a temp file.</summary>
    private string EditedTask(string name, Func<string, string> edit)
    {
        var path = _dir[name + ".json"];
        File.WriteAllText(path, edit(File.ReadAllText(Task)));
        return path;
    }

    [Theory]
    [MemberData(nameof(BadCases))]
    public void Bad_input_gives_one_line_and_leaves_no_output_folder(string name)
    {
        var outDir = _dir[name];
        if (name == "out-exists") Directory.CreateDirectory(outDir);
        string[] extra = name switch
        {
            "unknown-target" => ["--targets", "resid_pre,head_soup"],
            "missing-task" => ["--task", _dir["nope.json"]],
            "unknown-engine" => ["--engine", "turbo"],
            "invalid-json" => ["--task", EditedTask("invalid", t => t.Replace("\"demos\"", "\"demos\" oops", StringComparison.Ordinal))],
            // " overwhelmingly positive" is several tokens: the answer check names it.
            "label-not-one-token" => ["--task", EditedTask("label", t => ReplaceFirstQueryLabel(t, "overwhelmingly positive"))],
            // A corrupted label that tokenizes to more tokens than the clean one shifts every later position.
            "length-mismatch" => ["--task", EditedTask("length", t => t.Replace("\"neutral\": \"mixed\"", "\"neutral\": \"somewhat mixed\"", StringComparison.Ordinal))],
            _ => [],
        };
        string expected = name switch
        {
            "unknown-target" => "Unknown patch target 'head_soup'",
            "missing-task" => "nope.json does not exist",
            "out-exists" => "already exists; choose another --out or pass --force",
            "unknown-engine" => "Unknown engine 'turbo'",
            "unknown-model" => "Unknown model 'gpt5'. Short names: gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2, pythia-14m",
            "invalid-json" => "invalid.json: invalid JSON at line 7, column 11:",
            "label-not-one-token" => "queries[0].label: the answer for label 'overwhelmingly positive' must be one token, but ' overwhelmingly positive' is not a single token: it becomes 2 tokens",
            "length-mismatch" => "query 0: the clean prompt is 139 tokens but the corrupted one (Simultaneous replay) is 140",
            _ => "of openai-community/gpt2 (revision main) is not in the cache",
        };
        string model = name switch { "unknown-model" => "gpt5", "offline" => "gpt2", _ => Fixtures.TinyModel };
        var env = name == "offline" ? new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = _dir["empty-cache"] } : null;
        var args = new List<string> { "analyze", "--model", model, "--out", outDir, "--quiet" };
        if (!extra.Contains("--task")) args.AddRange(["--task", Task]);
        args.AddRange(extra);
        var outcome = IclProcess.Run(args, env);
        Assert.NotEqual(0, outcome.ExitCode);
        var line = Assert.Single(outcome.ErrLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(name == "out-exists", Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(_dir.Path), d => Path.GetFileName(d).StartsWith('.'));
    }

    private static string ReplaceFirstQueryLabel(string json, string label)
    {
        int queries = json.IndexOf("\"queries\"", StringComparison.Ordinal);
        int at = json.IndexOf("\"label\"", queries, StringComparison.Ordinal);
        int start = json.IndexOf('"', at + 7 + 1) + 1;
        int end = json.IndexOf('"', start);
        return json[..start] + label + json[end..];
    }
}
