using System.Globalization;
using IclNotebook.Plots;
using IclNotebook.Statistics;
using IclNotebook.Studies;

namespace IclNotebook.Accuracy;

/// <summary>
/// The output of <c>icl accuracy</c>: results.json (every prompt's scores and each shot count's means with intervals),
/// report.html and the figures accuracy_by_shots and logprob_by_shots.
/// </summary>
public static class AccuracyReport
{
    public static string Json(AccuracyResult r, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(r);
        object Stat(Interval i) => new { mean = i.Mean, low = i.Low, high = i.High };
        var doc = new
        {
            kind = "icl-accuracy",
            tool = new { name = "icl", version = toolVersion },
            model = new { name = r.ModelName, revision = r.Revision, processing = OptionNames.Name(r.Processing), dtype = OptionNames.Name(r.DType) },
            task = new
            {
                name = r.TaskName,
                file = r.TaskPath,
                dataset = r.Origin is { } o
                    ? new { file = o.Dataset, sha256 = o.Sha256, pairs = o.Pairs, shots = o.Sampling.Shots, prompts = o.Sampling.Prompts, seed = o.Sampling.Seed }
                    : null,
            },
            definition = r.Definition,
            interval = new { method = "percentile bootstrap over prompts", level = r.Bootstrap.Level, resamples = r.Bootstrap.Resamples, seed = r.Bootstrap.Seed },
            queries = r.Queries,
            answers = r.Answers,
            answerTokenCounts = r.AnswerTokenCounts,
            shots = r.Rows.Select(row => new
            {
                shots = row.Shots,
                accuracy = Stat(row.Accuracy),
                firstTokenLogProb = Stat(row.FirstTokenLogProb),
                answerLogProb = Stat(row.AnswerLogProb),
                perPrompt = new
                {
                    top1 = row.Prompts.Select(p => p.Top1),
                    firstTokenLogProb = row.Prompts.Select(p => p.FirstTokenLogProb),
                    answerLogProb = row.Prompts.Select(p => p.AnswerLogProb),
                },
            }),
            seconds = r.Seconds,
        };
        return OutputFolder.Json(doc);
    }

    private static string[] X(AccuracyResult r) => r.Rows.Select(row => row.Shots.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Accuracy against shots, with intervals.</summary>
    public static PlotlyFigure AccuracyFigure(AccuracyResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return LinePlots.LinesWithIntervals(
            $"In-context accuracy — {r.TaskName} on {r.ModelName}<br><sup>first-token top-1 over the full vocabulary, " +
            $"{r.Queries.Count} prompts, {r.Bootstrap.Level:P0} bootstrap intervals</sup>",
            "demonstrations (shots)", "accuracy", X(r), [("accuracy", r.Rows.Select(row => row.Accuracy).ToArray())]);
    }

    /// <summary>The first token's and the whole answer's log-probability against shots, with intervals.</summary>
    public static PlotlyFigure LogProbFigure(AccuracyResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return LinePlots.LinesWithIntervals(
            $"Answer log-probability — {r.TaskName} on {r.ModelName}<br><sup>teacher-forced, mean over prompts, " +
            $"{r.Bootstrap.Level:P0} bootstrap intervals</sup>",
            "demonstrations (shots)", "log P (nats)", X(r),
            [("first answer token", r.Rows.Select(row => row.FirstTokenLogProb).ToArray()),
             ("whole answer", r.Rows.Select(row => row.AnswerLogProb).ToArray())]);
    }

    public static string Html(AccuracyResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = CultureInfo.InvariantCulture;
        int longer = r.AnswerTokenCounts.Count(n => n > 1);
        var settings = new List<(string, string)>
        {
            ("model", $"{r.ModelName} ({r.Revision})"),
            ("weights", $"{OptionNames.Name(r.Processing)} processing, {OptionNames.Name(r.DType)}"),
            ("task", r.TaskName),
            ("prompts", r.Queries.Count.ToString(c)),
            ("answers longer than one token", $"{longer} of {r.AnswerTokenCounts.Count} (accuracy reads the first token)"),
            ("wall time", r.Seconds.ToString("F1", c) + " s"),
        };
        if (r.Origin is { } o)
            settings.Insert(3, ("dataset", string.Create(c, $"{Path.GetFileName(o.Dataset)} ({o.Pairs} pairs, sha256 {o.Sha256[..12]}…), seed {o.Sampling.Seed}")));
        return new ReportPage($"In-context accuracy — {r.TaskName} on {r.ModelName}")
            .Heading("Settings")
            .Settings(settings)
            .Paragraph(r.Definition)
            .Figure(AccuracyFigure(r))
            .Figure(LogProbFigure(r))
            .Table(["shots", "accuracy", "first-token log P", "answer log P"],
                r.Rows.Select(row => (IReadOnlyList<object>)[row.Shots, row.Accuracy.ToString(), row.FirstTokenLogProb.ToString(), row.AnswerLogProb.ToString()]))
            .Render();
    }

    /// <summary>Writes results.json, the figures and report.html into <paramref name="folder"/> (all or nothing).</summary>
    public static void Write(AccuracyResult result, string folder, bool force, string toolVersion, Action<string>? warnings = null) =>
        OutputFolder.WriteResults(folder, force, Json(result, toolVersion),
            [("accuracy_by_shots", AccuracyFigure(result)), ("logprob_by_shots", LogProbFigure(result))], Html(result), warnings);
}
