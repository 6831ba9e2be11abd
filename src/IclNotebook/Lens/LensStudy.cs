using IclNotebook.Model;
using System.Diagnostics;
using IclNotebook.Studies;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.Lens;

/// <summary>The residual-stream stacks of one prompt, as TL's functions label them, through logit_attrs.</summary>
/// <param name="Labels">TL's component labels.</param>
/// <param name="Answer">logit_attrs(stack, answer, pos_slice) per component.</param>
/// <param name="AnswerMinusWrong">logit_attrs(stack, answer, incorrect_tokens=wrong, pos_slice) per component.</param>
public sealed record StackAttribution(IReadOnlyList<string> Labels, IReadOnlyList<double> Answer, IReadOnlyList<double> AnswerMinusWrong);

/// <summary>What <c>icl lens</c> finds for one clean prompt, read at its last real token.</summary>
public sealed record LensPrompt(
    int Index,
    string Prompt,
    IReadOnlyList<int> Tokens,
    string Answer,
    int AnswerId,
    string Wrong,
    int WrongId,
    int ReadPosition,
    StackAttribution AccumulatedResid,
    StackAttribution DecomposeResid,
    StackAttribution StackHeadResults,
    IReadOnlyList<double> LensLogProb,
    IReadOnlyList<int> LensRank,
    IReadOnlyList<string> LensTopToken,
    double Bias,
    double Logit);

/// <summary>
/// The logit lens, residual decomposition and per-head direct logit attribution of a task's clean
/// prompts (<c>icl lens</c>). <see cref="Prompts"/> holds every prompt's TL-labelled stacks.
/// </summary>
public sealed record LensResult(
    string ModelName,
    string Revision,
    WeightProcessing Processing,
    ModelDType DType,
    string TaskName,
    string TaskPath,
    int Layers,
    int Heads,
    IReadOnlyList<LensPrompt> Prompts,
    string LensDefinition,
    string AttributionDefinition,
    bool Exact,
    double Seconds)
{
    /// <summary>The attention patterns of prompt 0 in the layer of the head with the largest |DLA| (shown in report.html), and that head.</summary>
    public Patterns.AttentionView? Attention { get; init; }

    /// <summary>The head with the largest |mean DLA of answer − wrong|.</summary>
    public (int Layer, int Head) TopHead
    {
        get
        {
            var grid = HeadGrid();
            var best = grid.SelectMany((row, l) => row.Select((v, h) => (l, h, v))).OrderByDescending(x => Math.Abs(x.v)).First();
            return (best.l, best.h);
        }
    }

    /// <summary>Mean over prompts of one stack's attributions (answer minus wrong when <paramref name="difference"/>).</summary>
    public IReadOnlyList<double> Mean(Func<LensPrompt, StackAttribution> stack, bool difference = true) =>
        Enumerable.Range(0, stack(Prompts[0]).Labels.Count)
            .Select(c => Prompts.Average(p => (difference ? stack(p).AnswerMinusWrong : stack(p).Answer)[c]))
            .ToArray();

    /// <summary>Per-head DLA of answer minus wrong, averaged over prompts, [layer][head].</summary>
    public IReadOnlyList<IReadOnlyList<double>> HeadGrid()
    {
        var mean = Mean(p => p.StackHeadResults);
        return Enumerable.Range(0, Layers)
            .Select(l => (IReadOnlyList<double>)Enumerable.Range(0, Heads).Select(h => mean[l * Heads + h]).ToArray())
            .ToArray();
    }
}

/// <summary>Runs <c>icl lens</c>: one forward of the clean prompts with the cache, then the lens and DLA at each prompt's last token.</summary>
public static class LensStudy
{
    public static async Task<LensResult> RunAsync(StudyOptions options, IProgress<WorkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        using var input = await StudyInput.LoadAsync(options, progress, ct).ConfigureAwait(false);
        var prompts = input.RequirePrompts("icl lens");
        var model = input.Model;
        var wrong = input.WrongAnswers();
        ct.ThrowIfCancellationRequested();
        progress?.Report(WorkProgress.Stage("run with cache"));
        using var tokens = prompts.CleanTokens.ToTensor(model.ModelDevice);
        // every position through ln_final: logit_attrs reads ln_final.hook_scale at the read positions
        var (logits, cache) = model.RunWithCache(tokens);
        using var _ = cache;
        logits.Dispose();
        var read = PosSlice.PerPrompt(prompts.CleanTokens.LastPositions);
        var answers = prompts.AnswerTokenIds;

        progress?.Report(WorkProgress.Stage("logit lens and attribution"));
        var lens = LogitLens.Run(model, cache, read, answers);
        var dla = DirectLogitAttribution.Run(model, cache, read, answers);
        var stacks = new List<(ResidualComponents Stack, double[][] Answer, double[][] Diff)>();
        foreach (var stack in new[]
        {
            cache.AccumulatedResid(model, inclMid: !model.Config.ParallelAttnMlp, pos: read),
            cache.DecomposeResid(model, pos: read),
            cache.StackHeadResults(model, pos: read),
        })
        {
            using (stack)
            {
                var answerAttrs = cache.LogitAttrs(model, stack, answers, pos: read);
                var differenceAttrs = cache.LogitAttrs(model, stack, answers, wrong, read);
                stacks.Add((stack, answerAttrs, differenceAttrs));
            }
        }
        var tok = model.Tokenizer;
        StackAttribution Take(int s, int b) =>
            new(stacks[s].Stack.Labels, stacks[s].Answer.Select(c => c[b]).ToArray(), stacks[s].Diff.Select(c => c[b]).ToArray());
        var rows = Enumerable.Range(0, prompts.Count).Select(b => new LensPrompt(
            b, prompts.CleanPrompts[b], prompts.CleanTokens.Ids[b], prompts.AnswerStrings[b], answers[b],
            tok.Decode(wrong[b]), wrong[b], read.Positions![b],
            Take(0, b), Take(1, b), Take(2, b),
            lens.LogProbs.Select(r => r[b]).ToArray(), lens.Ranks.Select(r => r[b]).ToArray(), lens.TopTokens.Select(r => tok.Decode(r[b])).ToArray(),
            dla.Bias[b], dla.Logits[b])).ToList();
        var result = new LensResult(model.Config.Name, input.Revision, model.Processing, model.Config.DType, prompts.TaskName,
            Path.GetFullPath(options.TaskPath!), model.Config.NLayers, model.Config.NHeads, rows, lens.Definition, dla.Definition, dla.Exact,
            clock.Elapsed.TotalSeconds);
        var (topLayer, topHead) = result.TopHead;
        string caption = $"prompt 0, layer {topLayer} (L{topLayer}H{topHead} has the largest DLA)";
        var attention = Patterns.AttentionView.FromCache(model, cache, topLayer, 0, prompts.CleanTokens.Ids[0], caption);
        return result with { Attention = attention };
    }
}
