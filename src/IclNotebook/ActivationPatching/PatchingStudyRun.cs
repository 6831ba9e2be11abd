using System.Text.Json.Serialization;
using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.ActivationPatching;

/// <summary>
/// What makes shards parts of one analysis: the model (as asked for, its name, the revision its
/// weights came from, the processing), the task (name, file, SHA-256 of its bytes), targets,
/// engine, attribution, where the metric reads, how the corruption was replayed, the metric, the
/// kit version that planned the grid, and the shard count. <see cref="Differences"/> names what
/// two runs disagree on.
/// </summary>
public sealed record PatchingStudyRun(
    string ToolVersion,
    string Model,
    string ModelName,
    string Revision,
    [property: JsonConverter(typeof(OptionNameJson<WeightProcessing>))] WeightProcessing Processing,
    string TaskName,
    string TaskFile,
    string TaskSha256,
    IReadOnlyList<string> Targets,
    [property: JsonConverter(typeof(OptionNameJson<PatchEngineKind>))] PatchEngineKind Engine,
    bool Attribution,
    [property: JsonConverter(typeof(OptionNameJson<MetricRead>))] MetricRead Read,
    [property: JsonConverter(typeof(OptionNameJson<CorruptionReplay>))] CorruptionReplay Replay,
    string Metric,
    int ShardCount)
{
    /// <summary>"field: this vs other" for every field that differs.</summary>
    public IEnumerable<string> Differences(PatchingStudyRun other)
    {
        ArgumentNullException.ThrowIfNull(other);
        IEnumerable<(string Name, string Mine, string Theirs)> Fields()
        {
            yield return ("icl version", ToolVersion, other.ToolVersion);
            yield return ("model", Model, other.Model);
            yield return ("model name", ModelName, other.ModelName);
            yield return ("model revision", Revision, other.Revision);
            yield return ("processing", OptionNames.Name(Processing), OptionNames.Name(other.Processing));
            yield return ("task", TaskName, other.TaskName);
            yield return ("task file", TaskFile, other.TaskFile);
            yield return ("task SHA-256", TaskSha256, other.TaskSha256);
            yield return ("targets", string.Join(",", Targets), string.Join(",", other.Targets));
            yield return ("engine", OptionNames.Name(Engine), OptionNames.Name(other.Engine));
            yield return ("attribution", Attribution.ToString(), other.Attribution.ToString());
            yield return ("read", OptionNames.Name(Read), OptionNames.Name(other.Read));
            yield return ("replay", OptionNames.Name(Replay), OptionNames.Name(other.Replay));
            yield return ("metric", Metric, other.Metric);
            yield return ("shard count", ShardCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                other.ShardCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return Fields().Where(f => f.Mine != f.Theirs).Select(f => $"{f.Name} {Short(f.Mine)} vs {Short(f.Theirs)}");
    }

    private static string Short(string s) => s.Length > 80 ? s[..77] + "..." : s;

    /// <summary>SHA-256 of a file's bytes, lower-case hex.</summary>
    public static string Sha256Of(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
