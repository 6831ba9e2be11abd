using System.Text.Json;
using IclNotebook.Icl;
using IclNotebook.Patching;

using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// What one shard of an analysis computed (<see cref="PatchingStudy.RunShardAsync"/>): the run it
/// belongs to, which shard it is and how that was decided, the prompts and baselines, its part of
/// every target's grid, attribution (shard 0 only: it is cheap and not split) and its timings.
/// Saved as <see cref="FileName"/> in a folder of its own, all or nothing;
/// <see cref="PatchingStudyMerge"/> joins the shards into the unsharded analysis.
/// </summary>
public sealed record PatchingStudyShard
{
    public const string FileName = "shard.json";
    public const string Kind = "icl-analysis-shard";
    public const int SchemaVersion = 3;

    public required PatchingStudyRun Run { get; init; }
    public required int ShardIndex { get; init; }

    /// <summary>How the shard was chosen: "--shard 3/8", or the scheduler variables --shard auto read.</summary>
    public required string ShardSource { get; init; }

    /// <summary>Machine that ran it, and when (UTC), for the log of a cluster run.</summary>
    public required string Host { get; init; }
    public required DateTime StartedUtc { get; init; }

    public required IclPromptSet Prompts { get; init; }
    public required IReadOnlyList<int> ReadPositions { get; init; }
    public required IReadOnlyList<double> CleanPerPrompt { get; init; }
    public required IReadOnlyList<double> CorruptedPerPrompt { get; init; }

    /// <summary>This shard's part of each target in <see cref="PatchingStudyRun.Targets"/>, in that order.</summary>
    public required IReadOnlyList<PatchResultShard> Results { get; init; }

    /// <summary>Attribution patching of every target, whole; in shard 0 only.</summary>
    public required IReadOnlyList<PatchResult> Attribution { get; init; }

    /// <summary>Wall time of the shard, from start to result (model load included).</summary>
    public required double Seconds { get; init; }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = false };

    /// <summary>Writes <paramref name="folder"/>/shard.json; the folder appears only when complete.</summary>
    public void Save(string folder, bool force)
    {
        var doc = new Dictionary<string, object>
        {
            ["kind"] = Kind,
            ["schemaVersion"] = SchemaVersion,
            ["shard"] = this,
        };
        OutputFolder.Write(folder, force, temp => File.WriteAllText(Path.Combine(temp, FileName), JsonSerializer.Serialize(doc, Json)));
    }

    /// <summary>Reads a shard file, refusing one that is damaged or not a shard, naming the file and the fix.</summary>
    public static PatchingStudyShard Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fix = $"rerun the shard that wrote it into {Path.GetDirectoryName(Path.GetFullPath(path))} (icl analyze --shard K/N --force)";
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("kind", out var kind)
                || kind.ValueKind != JsonValueKind.String || kind.GetString() != Kind)
                throw new IclException($"{path}: not an icl analysis shard (no \"kind\": \"{Kind}\"); merge the folders icl analyze --shard wrote.");
            if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number
                || version.GetInt32() != SchemaVersion)
                throw new IclException($"{path}: shard schema version " +
                    $"{(root.TryGetProperty("schemaVersion", out var v) ? v.ToString() : "missing")}, this icl reads {SchemaVersion}; " +
                    "rerun the shards with this version.");
            var shard = root.GetProperty("shard").Deserialize<PatchingStudyShard>(Json) ?? throw new IclException($"{path}: empty shard; {fix}.");
            var results = root.GetProperty("shard").GetProperty("results").EnumerateArray().Select(e => PatchResultShard.FromJson(e, path)).ToList();
            if (results.Count != shard.Run.Targets.Count)
                throw new IclException($"{path}: {results.Count} results for {shard.Run.Targets.Count} targets; the file is damaged, {fix}.");
            int n = shard.Prompts.Count;
            if (shard.ReadPositions.Count != n || shard.CleanPerPrompt.Count != n || shard.CorruptedPerPrompt.Count != n)
                throw new IclException($"{path}: per-prompt data for " +
                    $"{shard.ReadPositions.Count}/{shard.CleanPerPrompt.Count}/{shard.CorruptedPerPrompt.Count} of {n} prompts; " +
                    $"the file is damaged, {fix}.");
            return shard with { Results = results };
        }
        catch (JsonException e)
        {
            throw new IclException($"{path}: damaged shard file ({e.Message.Split('.')[0]}); {fix}.", e);
        }
        catch (KeyNotFoundException e)
        {
            throw new IclException($"{path}: damaged shard file (a field is missing); {fix}.", e);
        }
        catch (InvalidOperationException e)
        {
            throw new IclException($"{path}: damaged shard file ({e.Message}); {fix}.", e);
        }
    }
}
