using System.Globalization;
using IclNotebook.Studies;
using IclNotebook.Plots;

namespace IclNotebook.Lens;

/// <summary>
/// The output of <c>icl lens</c>: results.json (every prompt's stacks under TL's function names with
/// TL's labels, the lens per point), report.html and the figures logit_lens, dla_components and dla_heads.
/// </summary>
public static class LensReport
{
    public static string Json(LensResult r, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(r);
        object Stack(StackAttribution s, string call) =>
            new { labels = s.Labels, logit_attr_answer = s.Answer, logit_attr_answer_minus_wrong = s.AnswerMinusWrong, transformer_lens = call };
        var doc = new
        {
            kind = "icl-lens",
            tool = new { name = "icl", version = toolVersion },
            model = new { name = r.ModelName, revision = r.Revision, processing = OptionNames.Name(r.Processing),
                dtype = OptionNames.Name(r.DType) },
            task = new { name = r.TaskName, file = r.TaskPath },
            definitions = new { logitLens = r.LensDefinition, attribution = r.AttributionDefinition, exact = r.Exact },
            prompts = r.Prompts.Select(p => new
            {
                index = p.Index,
                prompt = p.Prompt,
                tokens = p.Tokens,
                answer = p.Answer,
                answerTokenId = p.AnswerId,
                wrong = p.Wrong,
                wrongTokenId = p.WrongId,
                readPosition = p.ReadPosition,
                accumulated_resid = Stack(p.AccumulatedResid,
                    "cache.logit_attrs(cache.accumulated_resid(incl_mid=True, pos_slice=p), answer, pos_slice=p)"),
                decompose_resid = Stack(p.DecomposeResid, "cache.logit_attrs(cache.decompose_resid(pos_slice=p), answer, pos_slice=p)"),
                stack_head_results = Stack(p.StackHeadResults, "cache.logit_attrs(cache.stack_head_results(pos_slice=p), answer, pos_slice=p)"),
                logitLens = new
                {
                    labels = p.AccumulatedResid.Labels, answerLogProb = p.LensLogProb, answerRank = p.LensRank, topToken = p.LensTopToken,
                },
                unembedBias = p.Bias,
                answerLogit = p.Logit,
            }),
            seconds = r.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    public static IReadOnlyList<(string Name, PlotlyFigure Figure)> Figures(LensResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var labels = r.Prompts[0].AccumulatedResid.Labels;
        var meanLogProb = labels.Select((_, i) => r.Prompts.Average(p => p.LensLogProb[i])).ToArray();
        var lensSeries = new List<(string, IReadOnlyList<double>)> { ("mean over prompts", meanLogProb) };
        lensSeries.AddRange(r.Prompts.Select(p => ($"prompt {p.Index}: {p.Answer.Trim()}", p.LensLogProb)));
        var dashed = r.Prompts.Select(p => $"prompt {p.Index}: {p.Answer.Trim()}").ToHashSet();
        string lensTitle = $"Logit lens — {r.TaskName} on {r.ModelName}" +
            "<br><sup>log-prob of the answer if the model stopped at each point of the residual stream</sup>";
        var lens = LinePlots.Lines(lensTitle, "Residual stream point", "log P(answer) (nats)", labels, lensSeries, dashed);
        var componentLabels = r.Prompts[0].DecomposeResid.Labels;
        string componentsTitle = $"Direct logit attribution per component — {r.TaskName} on {r.ModelName}" +
            "<br><sup>logit(answer) − logit(wrong) each layer output writes, mean over prompts</sup>";
        var components = LinePlots.Lines(componentsTitle, "Component", "logit difference", componentLabels,
            [("answer − wrong", r.Mean(p => p.DecomposeResid)), ("answer", r.Mean(p => p.DecomposeResid, difference: false))]);
        string headsTitle = $"Direct logit attribution per head — {r.TaskName} on {r.ModelName}" +
            "<br><sup>logit(answer) − logit(wrong) each head writes, mean over prompts</sup>";
        var heads = GridPlots.LayerHead(headsTitle, [("DLA", r.HeadGrid())], "logits");
        var list = new List<(string, PlotlyFigure)> { ("logit_lens", lens), ("dla_components", components), ("dla_heads", heads) };
        if (r.Attention is { } view) list.Add(("attention_top_head", view.HeadHeatmap(r.TopHead.Head)));
        return list;
    }

    public static string Html(LensResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var page = new ReportPage($"Logit lens and direct logit attribution — {r.TaskName} on {r.ModelName}")
            .Heading("Settings")
            .Settings([("model", $"{r.ModelName} ({r.Revision})"), ("processing", OptionNames.Name(r.Processing)),
                ("task", $"{r.TaskName} ({r.Prompts.Count} prompts)"),
                ("read", "each prompt's last real token"), ("wall time", r.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s")]);
        var figures = Figures(r);
        // The first residual-stream point where the answer is the top token, or "never".
        static string FirstTop(LensPrompt p)
        {
            int at = p.LensRank.Select((rank, i) => (rank, i)).FirstOrDefault(x => x.rank == 0, (rank: -1, i: -1)).i;
            return at >= 0 ? p.AccumulatedResid.Labels[at] : "never";
        }
        page.Heading("Logit lens").Paragraph(r.LensDefinition).Figure(figures[0].Figure)
            .Table(["prompt", "answer", "log P at final_post", "rank at final_post", "first point where the answer is top"],
                r.Prompts.Select(p => (IReadOnlyList<object>)[p.Index, p.Answer, p.LensLogProb[^1], p.LensRank[^1], FirstTop(p)]));
        page.Heading("Direct logit attribution").Paragraph(r.AttributionDefinition).Figure(figures[1].Figure).Figure(figures[2].Figure);
        var top = r.HeadGrid().SelectMany((row, l) => row.Select((v, h) => (l, h, v))).OrderByDescending(x => Math.Abs(x.v)).Take(10);
        page.Table(["head", "DLA of answer − wrong (mean, logits)"], top.Select(x => (IReadOnlyList<object>)[$"L{x.l}H{x.h}", x.v]));
        if (r.Attention is { } view)
        {
            page.Heading($"Attention patterns of layer {view.Layer}")
                .Paragraph($"Where each token of prompt 0 attends in layer {view.Layer}, " +
                    $"whose head {r.TopHead.Head} writes the most to the answer's logit. " +
                    "Pick a head; hover a token to see where it attends, or switch to see who attends to it.")
                .Html(view.ToHtml())
                .Figure(figures[3].Figure);
        }
        return page.Render();
    }

    /// <summary>Writes results.json, the figures and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(LensResult r, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(r, toolVersion), Figures(r), Html(r), warnings);
}
