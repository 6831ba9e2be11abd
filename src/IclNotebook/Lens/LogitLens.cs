using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Lens;

/// <summary>
/// What the model would predict if it stopped at each point of the residual stream: the answer's
/// log-probability, rank and the top token per accumulated-residual component
/// (<see cref="Labels"/>: <c>0_pre</c>, <c>0_mid</c>, ..., <c>final_post</c>), per prompt.
/// </summary>
/// <param name="Labels">TransformerLens's accumulated_resid labels, in stream order.</param>
/// <param name="Answers">The answer token of each prompt.</param>
/// <param name="LogProbs">[label][prompt]: log softmax over the full vocabulary at the answer.</param>
/// <param name="Ranks">[label][prompt]: how many tokens score above the answer (0 = the top prediction).</param>
/// <param name="TopTokens">[label][prompt]: the highest-scoring token id.</param>
public sealed record LogitLensResult(
    IReadOnlyList<string> Labels,
    IReadOnlyList<int> Answers,
    IReadOnlyList<IReadOnlyList<double>> LogProbs,
    IReadOnlyList<IReadOnlyList<int>> Ranks,
    IReadOnlyList<IReadOnlyList<int>> TopTokens)
{
    /// <summary>How the lens is computed.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Part of the result: written to results.json with it.")]
    public string Definition =>
        "Logit lens: each accumulated residual stream (TransformerLens accumulated_resid) through the model's own final norm " +
        "(each vector normalised by its own scale, with the norm's weight and bias when unfolded) and the unembedding, " +
        "log softmax over the full vocabulary; final_post is exactly the model's output.";

    /// <summary>Mean over prompts of the answer's log-prob at each label.</summary>
    public IReadOnlyList<double> MeanLogProb => LogProbs.Select(row => row.Average()).ToArray();

    /// <summary>The answer's log-prob along the residual stream: the mean over prompts, and each prompt dotted behind it.</summary>
    public Plots.PlotlyFigure Plot(string? title = null)
    {
        var series = new List<(string, IReadOnlyList<double>)> { ("mean over prompts", MeanLogProb) };
        var each = Enumerable.Range(0, Answers.Count).Select(b => $"prompt {b}").ToList();
        series.AddRange(each.Select((name, b) => (name, (IReadOnlyList<double>)LogProbs.Select(row => row[b]).ToArray())));
        return Plots.LinePlots.Lines(title ?? "Logit lens<br><sup>log-prob of the answer if the model stopped " +
                "at each point of the residual stream</sup>",
            "Residual stream point", "log P(answer) (nats)", Labels, series, each.ToHashSet());
    }
}

/// <summary>The logit lens (nostalgebraist 2020) on a cache, read at one position per prompt.</summary>
public static class LogitLens
{
    /// <summary>
    /// Runs the lens over <c>AccumulatedResid(inclMid)</c> at <paramref name="read"/> (one position
    /// per prompt, e.g. <c>PosSlice.PerPrompt(tokens.LastPositions)</c>) for each prompt's
    /// <paramref name="answers"/>. Unlike TL's <c>apply_ln=True</c> (which divides every component by
    /// the final stream's cached scale, right for linear attribution), each stream is normalised by
    /// its own scale here, so every row is a proper distribution.
    /// </summary>
    public static LogitLensResult Run(HookedTransformer model, ActivationCache cache, PosSlice read, IReadOnlyList<int> answers, bool inclMid = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(answers);
        if (read.KeepsPositions)
            throw new IclException("The logit lens reads one position per prompt: pass PosSlice.At(-1) or PosSlice.PerPrompt(tokens.LastPositions).");
        using var stack = cache.AccumulatedResid(model, inclMid: inclMid && !model.Config.ParallelAttnMlp, pos: read); // [component, batch, d_model]
        long batch = stack.Components.shape[1];
        if (answers.Count != batch)
            throw new IclException($"The logit lens got {answers.Count} answers for {batch} prompts; give one answer per prompt.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logProbs = model.FinalNormAndUnembed(stack.Components).log_softmax(-1);            // [component, batch, d_vocab]
        var ids = tensor(answers.Select(a => (long)a).ToArray(), device: model.ModelDevice);
        var answerLp = logProbs.index_select(2, ids).diagonal(0, 1, 2);                          // [component, batch]
        var rank = logProbs.gt(answerLp.unsqueeze(-1)).sum(-1);                                  // [component, batch]
        var top = logProbs.argmax(-1);                                                            // [component, batch]
        var lp = TensorValues.Rows(answerLp);
        var ranks = TensorValues.Rows(rank).Select(r => (IReadOnlyList<int>)r.Select(v => (int)v).ToArray()).ToArray();
        var tops = TensorValues.Rows(top).Select(r => (IReadOnlyList<int>)r.Select(v => (int)v).ToArray()).ToArray();
        return new LogitLensResult(stack.Labels, answers.ToArray(), lp, ranks, tops);
    }
}
