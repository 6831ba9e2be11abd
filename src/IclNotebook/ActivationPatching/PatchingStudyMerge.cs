using System.Globalization;
using System.Text.Json;
using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Studies;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// Joins the shards of one analysis (<see cref="PatchingStudyShard"/>) into the analysis an unsharded
/// run gives, after checking that they belong to one run and that each shard is there exactly
/// once; every refusal is one sentence naming the shard folder(s) at fault and the fix.
/// </summary>
public static class PatchingStudyMerge
{
    /// <summary>
    /// The shard files under <paramref name="paths"/>: each path is a shard folder (holding
    /// shard.json), a shard.json itself, or a folder whose subfolders are shard folders.
    /// </summary>
    public static IReadOnlyList<string> FindShardFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) { files.Add(Path.GetFullPath(path)); continue; }
            if (!Directory.Exists(path))
                throw new IclException($"{Path.GetFullPath(path)} does not exist; pass the folders icl analyze --shard wrote.");
            var own = Path.Combine(path, PatchingStudyShard.FileName);
            if (File.Exists(own)) { files.Add(Path.GetFullPath(own)); continue; }
            var candidates = Directory.GetDirectories(path).Select(d => Path.Combine(d, PatchingStudyShard.FileName));
            var inside = candidates.Where(File.Exists).Order(StringComparer.Ordinal).ToList();
            if (inside.Count == 0)
                throw new IclException($"{Path.GetFullPath(path)} holds no {PatchingStudyShard.FileName}, nor do its subfolders; " +
                    "pass the folders icl analyze --shard wrote.");
            files.AddRange(inside.Select(Path.GetFullPath));
        }
        return files.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Loads every shard file (all are read and checked before anything is merged) and merges them.</summary>
    public static PatchingStudyResult Merge(IReadOnlyList<string> shardFiles)
    {
        ArgumentNullException.ThrowIfNull(shardFiles);
        var shards = shardFiles.Select(PatchingStudyShard.Load).ToList();
        return Merge(shards, shardFiles.Select(f => Path.GetDirectoryName(f) ?? f).ToList());
    }

    /// <summary>Merges loaded shards; <paramref name="sources"/> names each in messages (its folder).</summary>
    public static PatchingStudyResult Merge(IReadOnlyList<PatchingStudyShard> shards, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(sources);
        if (shards.Count == 0) throw new IclException("Nothing to merge: no shards given.");
        var first = shards[0];
        var firstPrompts = JsonSerializer.Serialize(first.Prompts);
        for (int i = 1; i < shards.Count; i++)
        {
            var differs = shards[i].Run.Differences(first.Run).ToList();
            if (differs.Count > 0)
                throw new IclException($"{sources[i]} and {sources[0]} are shards of different runs ({string.Join("; ", differs)}); " +
                    "merge the shards of one run.");
            if (JsonSerializer.Serialize(shards[i].Prompts) != firstPrompts || !shards[i].ReadPositions.SequenceEqual(first.ReadPositions))
                throw new IclException($"{sources[i]} and {sources[0]} hold different prompts for the same task file; " +
                    "rerun the shards with one tokenizer.");
            for (int p = 0; p < first.CleanPerPrompt.Count; p++)
                if (Math.Abs(shards[i].CleanPerPrompt[p] - first.CleanPerPrompt[p]) > PatchResult.BaselineTolerance
                    || Math.Abs(shards[i].CorruptedPerPrompt[p] - first.CorruptedPerPrompt[p]) > PatchResult.BaselineTolerance)
                    throw new IclException(string.Create(CultureInfo.InvariantCulture, $"{sources[i]} and {sources[0]} disagree on prompt {p}'s " +
                        $"baseline by more than {PatchResult.BaselineTolerance} nats; they ran different weights or builds: rerun them with one."));
        }
        int count = first.Run.ShardCount;
        foreach (var group in shards.Select((s, i) => (s.ShardIndex, i)).GroupBy(x => x.ShardIndex).OrderBy(g => g.Key))
            if (group.Count() > 1)
                throw new IclException($"Shard {group.Key}/{count} is given {group.Count()} times " +
                    $"({string.Join(", ", group.Select(x => sources[x.i]))}); keep one and merge again.");
        var missing = Enumerable.Range(0, count).Where(k => shards.All(s => s.ShardIndex != k)).ToList();
        if (missing.Count > 0)
            throw new IclException($"Shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(k => $"{k}/{count}"))} of {count} " +
                $"{(missing.Count > 1 ? "are" : "is")} missing; run icl analyze --shard {missing[0]}/{count} (same settings) and merge again.");

        var ordered = shards.Select((s, i) => (Shard: s, Source: sources[i])).OrderBy(x => x.Shard.ShardIndex).ToList();
        var results = first.Run.Targets.Select((_, t) => PatchResult.Merge(
            ordered.Select(x => x.Shard.Results[t]).ToList(), ordered.Select(x => x.Source).ToList())).ToList();
        var zero = ordered[0].Shard;
        if (first.Run.Attribution && zero.Attribution.Count != first.Run.Targets.Count)
            throw new IclException($"{ordered[0].Source}: shard 0 of a run with --attribution holds {zero.Attribution.Count} attribution results " +
                $"for {first.Run.Targets.Count} targets; rerun shard 0/{count}.");
        var run = first.Run;
        var study = new StudyOptions
        {
            Model = run.Model,
            TaskPath = run.TaskFile,
            Read = run.Read,
            Replay = run.Replay,
            Processing = run.Processing,
        };
        var patching = new PatchingOptions { Targets = run.Targets, Engine = run.Engine, Attribution = run.Attribution };
        var seconds = ordered.Select(x => x.Shard.Seconds).ToList();
        return new PatchingStudyResult(study, patching, run.ModelName, run.Revision, first.Prompts, first.ReadPositions,
            first.CleanPerPrompt, first.CorruptedPerPrompt, results, zero.Attribution, seconds.Max())
        {
            Shards = new ShardTimings(count, seconds, ordered.Select(x => x.Shard.Host).ToList()),
        };
    }
}

/// <summary>How a merged analysis ran: the shard count, each shard's wall time (model load included) and host.</summary>
public sealed record ShardTimings(int Count, IReadOnlyList<double> Seconds, IReadOnlyList<string> Hosts)
{
    /// <summary>Longest shard over shortest: how well the cost model balanced the work.</summary>
    public double Balance => Seconds.Max() / Math.Max(Seconds.Min(), 1e-9);
}
