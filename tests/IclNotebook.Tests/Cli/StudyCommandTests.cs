using System.Text.Json;

namespace IclNotebook.Tests.Cli;

/// <summary>`icl lens` and `icl heads` end to end on the tiny fixture model, as real processes, checked against TransformerLens's goldens.</summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class StudyCommandTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-study");

    public void Dispose() => _dir.Dispose();

    private static string Task => Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json");

    [Fact]
    public void Lens_writes_TL_labelled_stacks_whose_sums_are_the_TransformerLens_logits()
    {
        var outDir = _dir["lens"];
        var outcome = IclProcess.Run(["lens", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.Equal(Path.GetFullPath(outDir), outcome.StdOut.Trim());
        foreach (var file in new[] { "results.json", "report.html", "logit_lens.html", "dla_components.html", "dla_heads.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");

        var golden = Fixtures.Json(Fixtures.Golden("processed"));
        var labelIds = golden.GetProperty("label_token_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        var logits = golden.GetProperty("final_logits").GetProperty("clean_true_last");
        var logProbs = Fixtures.Doubles(golden.GetProperty("final_logits").GetProperty("clean_expected_log_softmax_true_last"));
        var analysis = Fixtures.Json(Fixtures.AnalysisGolden).GetProperty("processed").GetProperty("prompts");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var prompts = doc.RootElement.GetProperty("prompts");
        Assert.Equal(4, prompts.GetArrayLength());
        for (int i = 0; i < 4; i++)
        {
            var p = prompts[i];
            int answer = p.GetProperty("answerTokenId").GetInt32();
            Assert.Equal(analysis[i].GetProperty("wrong").GetInt32(), p.GetProperty("wrongTokenId").GetInt32());
            foreach (var stack in new[] { "accumulated_resid", "decompose_resid", "stack_head_results" })
                Assert.Equal(analysis[i].GetProperty(stack).GetProperty("labels").EnumerateArray().Select(e => e.GetString()),
                    p.GetProperty(stack).GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
            // The lens at final_post is TL's log-prob; DLA over decompose_resid plus b_U is TL's logit.
            Assert.Equal(logProbs[i], p.GetProperty("logitLens").GetProperty("answerLogProb").EnumerateArray().Last().GetDouble(), 1e-4);
            double byComponent = Fixtures.Doubles(p.GetProperty("decompose_resid").GetProperty("logit_attr_answer")).Sum() + p.GetProperty("unembedBias").GetDouble();
            Assert.Equal(logits.GetProperty("label_logits")[i][labelIds.IndexOf(answer)].GetDouble(), byComponent, 1e-4);
        }
    }

    [Fact]
    public void Heads_on_given_tokens_match_TransformerLens_detect_head()
    {
        var golden = Fixtures.Json(Fixtures.AnalysisGolden).GetProperty("processed").GetProperty("head_detector");
        var tokens = string.Join(",", golden.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        var outDir = _dir["heads"];
        var outcome = IclProcess.Run(["heads", "--model", Fixtures.TinyModel, "--tokens", tokens, "--exclude-bos", "--error-measure", "abs", "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.True(File.Exists(Path.Combine(outDir, "head_scores.html")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var scores = doc.RootElement.GetProperty("scores");
        Assert.False(scores.TryGetProperty("prefix_matching", out _));                  // only on the default sequence
        foreach (var pattern in new[] { "previous_token_head", "duplicate_token_head", "induction_head" })
        {
            var want = golden.GetProperty($"{pattern}|exclude_bos=True|abs");
            for (int l = 0; l < 2; l++)
                for (int h = 0; h < 4; h++)
                    Assert.Equal(want[l][h].GetDouble(), scores.GetProperty(pattern)[l][h].GetDouble(), 1e-4);
        }
    }

    [Fact]
    public void Heads_by_default_scores_the_repeated_random_sequence_with_the_induction_benchmark()
    {
        var outDir = _dir["heads-default"];
        var outcome = IclProcess.Run(["heads", "--model", Fixtures.TinyModel, "--length", "20", "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        var tokens = root.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(41, tokens.Length);
        Assert.Equal(50256, tokens[0]);
        Assert.Equal(tokens[1..21], tokens[21..]);
        Assert.Equal(2, root.GetProperty("scores").GetProperty("prefix_matching").GetArrayLength());
        Assert.Equal(4, root.GetProperty("scores").GetProperty("prefix_matching")[0].GetArrayLength());
    }

    [Fact]
    public void Fv_writes_the_grid_the_vector_and_the_zero_shot_test()
    {
        var outDir = _dir["fv"];
        var outcome = IclProcess.Run(["fv", "--model", Fixtures.TinyModel, "--task", Task, "--top-heads", "3", "--shuffle-seed", "7", "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        foreach (var file in new[] { "results.json", "report.html", "fv_aie.html", "fv_zero_shot.html" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} missing");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal(7, root.GetProperty("protocol").GetProperty("shuffleSeed").GetInt64());
        Assert.Equal(3, root.GetProperty("topHeads").GetArrayLength());
        Assert.Equal(64, root.GetProperty("vector").GetProperty("values").GetArrayLength());
        Assert.Equal(2, root.GetProperty("aie").GetArrayLength());
        Assert.Equal(2, root.GetProperty("zeroShot").GetProperty("layers").GetArrayLength());
        foreach (var layer in root.GetProperty("zeroShot").GetProperty("layers").EnumerateArray())
            foreach (var key in new[] { "exactWith", "exactWithout" })
            {
                var stat = layer.GetProperty(key);
                Assert.InRange(stat.GetProperty("low").GetDouble(), 0, stat.GetProperty("mean").GetDouble());
                Assert.InRange(stat.GetProperty("high").GetDouble(), stat.GetProperty("mean").GetDouble(), 1);
            }
        // The grid is a patching result whose values minus the corrupted baseline are the AIE.
        var grid = root.GetProperty("grid").GetProperty("result");
        double corrupted = grid.GetProperty("corruptedBaseline").GetDouble();
        Assert.Equal(root.GetProperty("aie")[1][2].GetDouble(), grid.GetProperty("values")[6].GetDouble() - corrupted, 1e-12);
        var top = root.GetProperty("topHeads")[0];
        Assert.Equal(root.GetProperty("aie").EnumerateArray().SelectMany(r => r.EnumerateArray()).Max(e => e.GetDouble()), top.GetProperty("aie").GetDouble(), 1e-12);
    }

    [Fact]
    public void Anchors_runs_on_the_checkpoints_own_weights_and_writes_the_flows()
    {
        var outDir = _dir["anchors"];
        var outcome = IclProcess.Run(["anchors", "--model", Fixtures.TinyModel, "--task", Task, "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        Assert.True(File.Exists(Path.Combine(outDir, "anchors_flows.html")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = doc.RootElement;
        Assert.Equal("raw", root.GetProperty("model").GetProperty("processing").GetString());
        Assert.Equal(4, root.GetProperty("labelPositions").GetArrayLength());                 // one list per prompt
        Assert.All(root.GetProperty("labelPositions").EnumerateArray(), p => Assert.Equal(6, p.GetArrayLength()));
        Assert.Equal(" positive", root.GetProperty("labelTokens")[0][0].GetString());
        Assert.Equal(2, root.GetProperty("flows").GetArrayLength());
        // The answer's cross-entropy is minus TransformerLens's log-prob of it (raw weights).
        var logProbs = Fixtures.Doubles(Fixtures.Json(Fixtures.Golden("raw")).GetProperty("final_logits").GetProperty("clean_expected_log_softmax_true_last"));
        for (int i = 0; i < 4; i++) Assert.Equal(-logProbs[i], root.GetProperty("loss")[i].GetDouble(), 1e-4);
        // In the last layer only the prediction's own row reaches the loss: no gradient flows into the label words there.
        Assert.Equal(0.0, root.GetProperty("flows")[1].GetProperty("S_wp").GetDouble());
    }

    /// <summary>
    /// --dtype reaches the model in every study, each runs to the end in bfloat16 (lens and fv once failed there: the
    /// float32 z met a bfloat16 W_O), and the results say which dtype they were computed in.
    /// </summary>
    [Theory]
    [InlineData("analyze")]
    [InlineData("lens")]
    [InlineData("heads")]
    [InlineData("fv")]
    [InlineData("anchors")]
    public void Every_study_runs_in_bfloat16_and_records_its_dtype(string command)
    {
        var outDir = _dir[$"{command}-bf16"];
        string[] task = command == "heads" ? [] : ["--task", Task];
        var outcome = IclProcess.Run([command, "--model", Fixtures.TinyModel, .. task, "--dtype", "bfloat16", "--out", outDir, "--quiet"]);
        Assert.True(outcome.ExitCode == 0, outcome.StdErr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        Assert.Equal("bfloat16", doc.RootElement.GetProperty("model").GetProperty("dtype").GetString());
    }

    [Theory]
    [InlineData("fv", "--layer", "5", "outside 0..1")]
    [InlineData("fv", "--top-heads", "0", "positive integer")]
    [InlineData("anchors", "--processing", "folded", "Unknown processing")]
    [InlineData("lens", "--task", "missing.json", "does not exist")]
    [InlineData("heads", "--tokens", "1,x", "'x' is not one")]
    [InlineData("heads", "--length", "0", "positive integer")]
    [InlineData("heads", "--dtype", "float8", "Unknown dtype")]
    [InlineData("lens", "--dtype", "float16", "--dtype float16: this CPU multiplies float16 matrices at")]   // no fast CPU kernel
    public void Bad_input_gives_one_line_and_leaves_no_output_folder(string command, string option, string value, string expected)
    {
        var outDir = _dir["bad"];
        var outcome = IclProcess.Run([command, "--model", Fixtures.TinyModel, option, value, "--out", outDir]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Single(outcome.ErrLines);
        Assert.Contains(expected, outcome.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
