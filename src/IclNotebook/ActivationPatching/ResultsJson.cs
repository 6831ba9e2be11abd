using System.Text.Json;
using IclNotebook.Patching;
using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// results.json, schema version 2: <c>tool</c> {name, version}; <c>model</c> {name, revision (the
/// Hugging Face commit, or "local folder PATH"), processing};
/// <c>task</c> {name, file, corruption (the task's kind: label-map, explicit or shuffle)};
/// <c>read</c> (where the metric reads: last-token or last-column); <c>replay</c> (how the
/// corruption was replayed: simultaneous or sequential); <c>prompts</c> [{clean, corrupted,
/// cleanTokens, corruptedTokens, answer, answerTokenId, readPosition, cleanLogProb,
/// corruptedLogProb}]; <c>baselines</c> {clean, corrupted} (mean answer log-prob, nats);
/// <c>results</c> and <c>attribution</c>: PatchResult objects (target, axes, shape, labels, values
/// in nats, normalisedValues, baselines, settings {model, processing, engine, metric, unit, read,
/// replay}, seconds, forwardPasses, gflop); <c>seconds</c>: wall time of the analysis (merged from
/// shards: the longest shard's); <c>shards</c>: null, or {count, seconds, hosts} per shard when
/// <c>icl merge</c> joined the analysis from shards (its results' seconds then add the shards' compute).
/// Every setting that is a choice is written by its command-line name (<c>default</c>, <c>fast</c>, <c>attribution</c>,
/// <c>nats</c>, <c>last-token</c>, <c>simultaneous</c>; <c>given</c> where the caller passed positions or tokens).
/// Version 1 had a boolean <c>colabExact</c> instead of <c>read</c> and <c>replay</c>; version 2 wrote the processing as
/// <c>Default</c>/<c>Raw</c> and attribution's engine as <c>attribution (approximate)</c>; version 3 kept no per-prompt values
/// (version 4: each result's <c>perPrompt</c>, <c>cleanPerPrompt</c>, <c>corruptedPerPrompt</c> and the normalised values'
/// 95 % bounds <c>normalisedLow</c> / <c>normalisedHigh</c>).
/// </summary>
public static class ResultsJson
{
    public const int SchemaVersion = 4;

    public static string Serialize(PatchingStudyResult r, string toolVersion)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = r.Prompts;
        var doc = new
        {
            schemaVersion = SchemaVersion,
            tool = new { name = "icl", version = toolVersion },
            model = new { name = r.ModelName, revision = r.ModelRevision, processing = OptionNames.Name(r.Study.Processing),
                dtype = OptionNames.Name(r.Study.DType) },
            task = new { name = p.TaskName, file = Path.GetFullPath(r.Study.TaskPath!), corruption = p.CorruptionKind },
            read = OptionNames.Name(r.Study.EffectiveRead),
            replay = OptionNames.Name(p.Replay),
            prompts = Enumerable.Range(0, p.Count).Select(i => new
            {
                clean = p.CleanPrompts[i],
                corrupted = p.CorruptedPrompts[i],
                cleanTokens = p.CleanTokens.Ids[i],
                corruptedTokens = p.CorruptedTokens.Ids[i],
                answer = p.AnswerStrings[i],
                answerTokenId = p.AnswerTokenIds[i],
                readPosition = r.ReadPositions[i],
                cleanLogProb = r.CleanPerPrompt[i],
                corruptedLogProb = r.CorruptedPerPrompt[i],
            }),
            baselines = new { clean = r.CleanBaseline, corrupted = r.CorruptedBaseline },
            results = r.Results.Select(Element),
            attribution = r.Attribution.Select(Element),
            seconds = r.Seconds,
            shards = r.Shards is { } sh ? new { count = sh.Count, seconds = sh.Seconds, hosts = sh.Hosts } : null,
        };
        return OutputFolder.Json(doc);
    }

    private static JsonElement Element(PatchResult result) => JsonDocument.Parse(result.ToJson()).RootElement.Clone();
}
