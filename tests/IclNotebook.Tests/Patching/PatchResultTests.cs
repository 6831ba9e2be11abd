using IclNotebook.Metrics;
using IclNotebook.Patching;

namespace IclNotebook.Tests.Patching;

public class PatchResultTests(PatchingFixture fixture) : IClassFixture<PatchingFixture>
{
    [Fact]
    public void A_result_carries_axes_labels_settings_and_round_trips_through_json()
    {
        var setup = fixture.GoldenSetup("processed");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = new FastEngine().Run(setup, PatchTargets.AttnHeadAllPosEvery);
        double wall = clock.Elapsed.TotalSeconds;
        Assert.Equal([PatchAxis.PatchType, PatchAxis.Layer, PatchAxis.Head], result.Axes);
        Assert.Contains("\"axes\":[\"PatchType\",\"Layer\",\"Head\"]", result.ToJson(), StringComparison.Ordinal);   // names, not numbers
        Assert.Equal(["Output", "Query", "Key", "Value", "Pattern"], result.Labels[0]);
        Assert.Equal(PatchEngineKind.Fast, result.Settings.Engine);
        Assert.Equal(MetricRead.LastColumn, result.Settings.Read);
        Assert.Null(result.Settings.Replay);                                          // the corrupted tokens were given
        Assert.Equal(MetricUnit.Nats, result.Settings.Unit);
        // On disk the settings read as the command line names them.
        Assert.Contains("\"engine\":\"fast\"", result.ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"unit\":\"nats\",\"read\":\"last-column\",\"replay\":\"given\"", result.ToJson(), StringComparison.Ordinal);
        Assert.Equal("tiny-gpt2-a", result.Settings.Model);
        Assert.InRange(result.Seconds, 1e-6, wall);                                // the patching's own time, within the call's

        using (var temp = new TempFolder("icl-result"))
        {
            var path = temp["result.json"];
            result.Save(path);
            var loaded = PatchResult.Load(path);
            Assert.Equal(result.Values, loaded.Values);
            Assert.Equal(result.Shape, loaded.Shape);
            Assert.Equal(result.Labels.SelectMany(l => l), loaded.Labels.SelectMany(l => l));
            Assert.Equal(result.Settings, loaded.Settings);
            Assert.Equal(result.Normalised, loaded.Normalised);
            Assert.Equal(result[1, 0, 2], loaded[1, 0, 2]);
        }
        var bad = Assert.Throws<IclException>(() => PatchResult.FromJson("{\"result\": 3}", "broken.json"));
        Assert.Contains("broken.json", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Positions_are_labelled_with_their_tokens()
    {
        var result = new FastEngine().Run(fixture.GoldenSetup("raw"), PatchTargets.ResidPre);
        Assert.Equal("23: positive", result.Labels[1][23]);
        Assert.Equal("24: \\n", result.Labels[1][24]);
        Assert.Equal("0: <|endoftext|>", result.Labels[1][0]);
    }

    [Fact]
    public void An_effect_names_its_layer_head_and_position_whatever_the_axes()
    {
        var setup = fixture.GoldenSetup("raw");
        var engine = new FastEngine();
        var resid = engine.Run(setup, PatchTargets.ResidPre).Largest(1)[0];                            // [Layer, Pos]
        Assert.Equal((resid.Index[0], (int?)null, (int?)resid.Index[1]), (resid.Layer, resid.Head, resid.Pos));
        var heads = engine.Run(setup, PatchTargets.AttnHeadAllPosEvery).Largest(1)[0];                 // [PatchType, Layer, Head]
        Assert.Equal((heads.Index[1], (int?)heads.Index[2], (int?)null), (heads.Layer, heads.Head, heads.Pos));
        Assert.Equal(heads.Index[0], heads.At(PatchAxis.PatchType));
        var pattern = engine.Run(setup, PatchTargets.HeadPatternByPos).Largest(1)[0];                 // [Layer, Head, Pos]: the destination
        Assert.Equal((pattern.Index[0], (int?)pattern.Index[1], (int?)pattern.Index[2]), (pattern.Layer, pattern.Head, pattern.Pos));
    }

    [Fact]
    public void Progress_is_reported_and_cancellation_stops_the_run()
    {
        var setup = fixture.GoldenSetup("raw");
        var reports = new List<IclNotebook.Progress.WorkProgress>();
        new FastEngine().Run(setup, PatchTargets.ResidPre, new SyncProgress(reports.Add));
        Assert.Equal(reports[^1].Total, reports[^1].Done);
        Assert.Equal(2 * 139, reports[^1].Total);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => new ReferenceEngine().Run(setup, PatchTargets.ResidPre, ct: cts.Token));
    }

    [Fact]
    public void The_corrected_metric_differs_from_colab_exact_exactly_for_the_padded_prompts()
    {
        var exact = fixture.GoldenSetup("processed");
        using var corrected = PatchingSetup.Create(exact.Model, exact.Clean, exact.Corrupted,
            AnswerMetric.AtLastRealToken(exact.Clean.Lengths, exact.Metric.AnswerIds));
        // Prompt 0 is the longest (139 tokens): logits[:, -1] is its own last token. Prompts 1-3 are padded.
        Assert.Equal(exact.CleanPerPrompt[0], corrected.CleanPerPrompt[0], 1e-6);
        for (int b = 1; b < 4; b++) Assert.NotEqual(exact.CleanPerPrompt[b], corrected.CleanPerPrompt[b], 3);
        var golden = Fixtures.Json(Fixtures.Golden("processed")).GetProperty("final_logits").GetProperty("clean_expected_log_softmax_true_last");
        TensorAssert.Close(golden.EnumerateArray().Select(e => e.GetDouble()).ToArray(), corrected.CleanPerPrompt, 1e-4,
            "TL's and the corrected clean metric by prompt");
    }

    [Fact]
    public void Logit_difference_metric_gives_the_same_result_in_both_engines()
    {
        var exact = fixture.GoldenSetup("raw");
        using var setup = PatchingSetup.Create(exact.Model, exact.Clean, exact.Corrupted,
            AnswerMetric.AtLastRealToken(exact.Clean.Lengths, exact.Metric.AnswerIds).WithWrongAnswers([4633, 3967, 8500, 4633]));
        var fast = new FastEngine().Run(setup, PatchTargets.AttnHeadAllPosEvery);
        var reference = new ReferenceEngine().Run(setup, PatchTargets.AttnHeadAllPosEvery);
        Assert.Contains("logit(answer) - logit(wrong answer)", fast.Settings.Metric, StringComparison.Ordinal);
        // Its values are logit differences, and every place that shows them says so, never "nats".
        Assert.Equal(MetricUnit.Logits, fast.Settings.Unit);
        Assert.Equal("logits", fast.Largest(1)[0].Unit);
        var text = IclNotebook.Notebooks.NotebookViews.Text(fast);
        Assert.Contains("largest effects (normalised, logits)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("nats", text, StringComparison.Ordinal);
        Assert.DoesNotContain("nats", IclNotebook.Notebooks.NotebookViews.Text(setup), StringComparison.Ordinal);
        Assert.Contains(" logits", new IclNotebook.Notebooks.NotebookViews().Html(setup), StringComparison.Ordinal);
        var hover = IclNotebook.Plots.PatchPlots.Plot(fast).ToJson();
        Assert.Contains(" logits", hover, StringComparison.Ordinal);
        Assert.DoesNotContain(" nats", hover, StringComparison.Ordinal);
        TensorAssert.Close(reference.Values, fast.Values, 1e-5, "reference and fast logit differences");
    }

    private sealed class SyncProgress(Action<IclNotebook.Progress.WorkProgress> report) : IProgress<IclNotebook.Progress.WorkProgress>
    {
        public void Report(IclNotebook.Progress.WorkProgress value) => report(value);
    }
}
