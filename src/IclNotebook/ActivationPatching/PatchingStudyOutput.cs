using System.Globalization;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Plots;
using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// Writes the folder of <c>icl analyze</c> (results.json, report.html, one .html and .png per figure)
/// through <see cref="OutputFolder"/>: it appears only when complete.
/// </summary>
public static class PatchingStudyOutput
{
    /// <summary>
    /// Writes the folder; PNG figures need Chromium (see <see cref="PngExport"/>), and are skipped with a warning on
    /// <paramref name="warnings"/> without it.
    /// </summary>
    public static void Write(PatchingStudyResult result, string folder, bool force, string toolVersion, Action<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var figures = result.Results.Select(r => (r.Target, PatchPlots.Plot(r)))
            .Concat(result.Attribution.Select(r => ("attribution_" + r.Target, PatchPlots.Plot(r))))
            .ToList();
        OutputFolder.WriteResults(folder, force, ResultsJson.Serialize(result, toolVersion), figures, Report(result), warnings);
    }

    /// <summary>
    /// report.html: settings, per-prompt baselines, the figures, the most important components and how
    /// to read them, in one self-contained page.
    /// </summary>
    public static string Report(PatchingStudyResult r, int topK = 15)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = r.Prompts;
        string unit = r.Results.Concat(r.Attribution).FirstOrDefault()?.Settings.UnitName ?? OptionNames.Name(MetricUnit.Nats);
        var page = new ReportPage($"In-context learning: activation patching — {p.TaskName} on {r.ModelName}");
        string weights = r.Study.Processing == WeightProcessing.Raw
            ? "raw checkpoint weights" : "weights processed like TransformerLens's from_pretrained";
        page.Heading("Settings").Settings(
        [
            ("model", $"{r.ModelName} ({weights})"),
            ("task", $"{p.TaskName} ({p.Count} prompts, {p.CleanTokens.MaxLength} tokens padded)"),
            ("corruption", $"{p.CorruptionKind}, replayed {OptionNames.Name(p.Replay)}"),
            ("metric", r.Results.Count > 0 ? r.Results[0].Settings.Metric : ""),
            ("engine", r.Results.Count > 0 ? r.Results[0].Settings.EngineLabel : ""),
            ("wall time", WallTime(r)),
        ]);

        var baselines = Enumerable.Range(0, p.Count)
            .Select(i => (IReadOnlyList<object>)[i, p.AnswerStrings[i], r.ReadPositions[i], r.CleanPerPrompt[i], r.CorruptedPerPrompt[i]])
            .Append(["mean", "", "", r.CleanBaseline, r.CorruptedBaseline]);
        page.Heading("Baselines")
            .Paragraph($"The metric ({unit}) at each prompt's read position, clean and corrupted.")
            .Table(["prompt", "answer", "read position", "clean", "corrupted"], baselines);

        foreach (var result in r.Results.Concat(r.Attribution))
        {
            page.Heading(!result.Settings.IsExact ? $"{result.Target} — attribution (approximate)" : result.Target).Figure(PatchPlots.Plot(result));
        }

        var top = r.Results.SelectMany(res => res.Largest(topK)).OrderByDescending(e => Math.Abs(e.Normalised)).Take(topK)
            .Select(e => (IReadOnlyList<object>)[e.Target, e.Where, e.Normalised, IntervalText(e.Interval), e.Value]);
        page.Heading($"Top {topK} components")
            .Paragraph($"Largest effects (normalised metric; 1 = restores clean behaviour), with the 95 % interval of a bootstrap over the " +
                $"{p.Count} prompts; \"includes 0\" marks an effect whose sign these prompts do not settle.")
            .Table(["target", "index", "normalised", "95 % interval", unit], top);

        page.Heading("How to read the plots").Paragraph(
            "Each cell is one patch: the corrupted prompts (demonstration labels swapped) are run with one activation replaced by its value "
            + "from the clean run, and the answer's log-probability is measured. The colour is the normalised metric: 0 (white) means the "
            + "patch changed nothing — the model still behaves as on the corrupted prompts; 1 (dark blue) means that activation alone "
            + "restores the clean behaviour; red means the patch moves the model further away. In the residual-stream plot, a blue column "
            + "shows where (which token) and from which layer on the information that carries the demonstrations' labels lives. In the "
            + "head plots, Output patches a head's whole output, Query/Key/Value patch its inputs, Pattern patches where it attends.");
        return page.Render();
    }

    private static string IntervalText(Statistics.Interval? interval) => interval is null ? "—"
        : string.Create(CultureInfo.InvariantCulture, $"[{interval.Low:F3}, {interval.High:F3}]{(interval.ExcludesZero ? "" : ", includes 0")}");

    private static string WallTime(PatchingStudyResult r)
    {
        string total = r.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s";
        if (r.Shards is not { } shards) return total;
        string each = string.Join(", ", shards.Seconds.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)));
        string balance = shards.Balance.ToString("F2", CultureInfo.InvariantCulture);
        return $"{total}, the longest of {shards.Count} shards (each {each} s; longest/shortest {balance})";
    }
}
