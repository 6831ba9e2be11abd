using System.Text.Json;
using IclNotebook.Tests.Patching;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl analyze` end to end on the tiny fixture model, as a real process.</summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("icl-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Task => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");

    [Fact]
    public void Colab_exact_analysis_writes_every_file_and_matches_the_TransformerLens_goldens()
    {
        var outDir = Path.Combine(_dir, "run");
        var outcome = IclProcess.Run(["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--colab-exact", "--attribution", "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.Equal(Path.GetFullPath(outDir), outcome.StdOut.Trim());
        foreach (var file in new[] { "results.json", "report.html", "resid_pre.html", "attn_head_all_pos_every.html", "attribution_resid_pre.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        Assert.DoesNotContain(Directory.GetDirectories(_dir), d => Path.GetFileName(d).StartsWith('.'));
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
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("tiny-gpt2-a", root.GetProperty("model").GetProperty("name").GetString());
        Assert.StartsWith("local folder ", root.GetProperty("model").GetProperty("revision").GetString(), StringComparison.Ordinal);
        Assert.Equal("Default", root.GetProperty("model").GetProperty("processing").GetString());
        Assert.True(root.GetProperty("colabExact").GetBoolean());
        Assert.Equal(4, root.GetProperty("prompts").GetArrayLength());
        Assert.Equal(138, root.GetProperty("prompts")[1].GetProperty("readPosition").GetInt32());
        var golden = Fixtures.Json(Fixtures.Golden("processed"));
        Assert.Equal(golden.GetProperty("metric").GetProperty("clean_baseline").GetDouble(), root.GetProperty("baselines").GetProperty("clean").GetDouble(), 1e-4);
        var results = root.GetProperty("results");
        foreach (var (i, target) in new[] { (0, "resid_pre"), (1, "attn_head_all_pos_every") })
        {
            var r = results[i].GetProperty("result");
            Assert.Equal(target, r.GetProperty("target").GetString());
            var normalised = results[i].GetProperty("normalisedValues").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var (shape, expected) = PatchingFixture.Golden("processed", "patching_normalised", target);
            Assert.Equal(shape, r.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(expected.Length, normalised.Length);
            for (int k = 0; k < expected.Length; k++) Assert.True(Math.Abs(expected[k] - normalised[k]) <= 1e-4, $"{target}[{k}]: {normalised[k]} vs TL {expected[k]}");
        }
        Assert.Equal(2, root.GetProperty("attribution").GetArrayLength());
    }

    [Fact]
    public void Ctrl_c_stops_promptly_and_leaves_no_output_folder()
    {
        var outDir = Path.Combine(_dir, "interrupted");
        // The reference engine on every by-position head target: far longer than the interrupt delay.
        var (outcome, afterInterrupt) = IclProcess.RunAndInterrupt(
            ["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--engine", "reference", "--targets", "attn_head_by_pos_every", "--quiet"],
            TimeSpan.FromSeconds(4));
        Assert.Equal(130, outcome.ExitCode);
        Assert.Contains("icl: cancelled.", outcome.StdErr, StringComparison.Ordinal);
        Assert.True(afterInterrupt < TimeSpan.FromSeconds(10), $"took {afterInterrupt} to stop");
        Assert.False(Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(_dir), d => Path.GetFileName(d).StartsWith('.'));
    }

    public static TheoryData<string> BadCases => new() { "unknown-target", "missing-task", "out-exists", "cuda", "unknown-engine", "unknown-model", "invalid-json", "label-not-one-token", "length-mismatch", "offline" };

    /// <summary>The sentiment task with one edit, written to a temp file.</summary>
    private string EditedTask(string name, Func<string, string> edit)
    {
        var path = Path.Combine(_dir, name + ".json");
        File.WriteAllText(path, edit(File.ReadAllText(Task)));
        return path;
    }

    [Theory]
    [MemberData(nameof(BadCases))]
    public void Bad_input_gives_one_line_and_leaves_no_output_folder(string name)
    {
        var outDir = Path.Combine(_dir, name);
        if (name == "out-exists") Directory.CreateDirectory(outDir);
        string[] extra = name switch
        {
            "unknown-target" => ["--targets", "resid_pre,head_soup"],
            "missing-task" => ["--task", Path.Combine(_dir, "nope.json")],
            "cuda" => ["--device", "cuda"],
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
            "cuda" => "CUDA is not available",
            "unknown-engine" => "Unknown engine 'turbo'",
            "unknown-model" => "Unknown model 'gpt5'. Known models: gpt2 (gpt2-small), gpt2-medium, gpt2-large, gpt2-xl, distilgpt2",
            "invalid-json" => "invalid.json: invalid JSON at line 7, column 11:",
            "label-not-one-token" => "queries[0].label: the answer for label 'overwhelmingly positive' must be one token, but ' overwhelmingly positive' is not a single token: it becomes 2 tokens",
            "length-mismatch" => "query 0: the clean prompt is 139 tokens but the corrupted one (Default) is 140",
            _ => "of openai-community/gpt2 (revision main) is not in the cache",
        };
        string model = name switch { "unknown-model" => "gpt5", "offline" => "gpt2", _ => Fixtures.TinyModel };
        var env = name == "offline" ? new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = Path.Combine(_dir, "empty-cache") } : null;
        var args = new List<string> { "analyze", "--model", model, "--out", outDir, "--quiet" };
        if (!extra.Contains("--task")) args.AddRange(["--task", Task]);
        args.AddRange(extra);
        var outcome = IclProcess.Run(args, env);
        Assert.NotEqual(0, outcome.ExitCode);
        var line = Assert.Single(outcome.ErrLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(name == "out-exists", Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(_dir), d => Path.GetFileName(d).StartsWith('.'));
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
