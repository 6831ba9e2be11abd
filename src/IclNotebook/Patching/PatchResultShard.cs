using System.Text.Json;
using System.Text.Json.Serialization;

namespace IclNotebook.Patching;

/// <summary>
/// The part of a target's grid one shard computed (<see cref="PatchingEngine.RunShard"/>): the
/// flat indices it holds with their values, plus everything the whole result carries (axes,
/// labels, baselines, settings) and the shard's own timings. <see cref="PatchResult.Merge"/> puts
/// the shards of a grid back together.
/// </summary>
public sealed record PatchResultShard
{
    public required string Target { get; init; }
    public required IReadOnlyList<PatchAxis> Axes { get; init; }
    public required IReadOnlyList<long> Shape { get; init; }
    public required IReadOnlyList<IReadOnlyList<string>> Labels { get; init; }

    /// <summary>Which shard this is: 0-based index and count.</summary>
    public required int ShardIndex { get; init; }
    public required int ShardCount { get; init; }

    /// <summary>Row-major grid indices this shard computed, ascending.</summary>
    public required IReadOnlyList<int> Indices { get; init; }

    /// <summary>The metric for each of <see cref="Indices"/>.</summary>
    public required IReadOnlyList<double> Values { get; init; }

    public required double CleanBaseline { get; init; }
    public required double CorruptedBaseline { get; init; }
    public required PatchSettings Settings { get; init; }

    /// <summary>Wall time of this shard's patching.</summary>
    public double Seconds { get; init; }
    public long ForwardPasses { get; init; }
    public double Gflop { get; init; }

    [JsonIgnore]
    public PatchShard Shard => new(ShardIndex, ShardCount);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a shard, checking it is whole: as many values as indices, every index inside the grid.</summary>
    public static PatchResultShard FromJson(JsonElement json, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        PatchResultShard? shard;
        try { shard = json.Deserialize<PatchResultShard>(Json); }
        catch (JsonException e) { throw new IclException($"{source}: not a patch result shard ({e.Message}).", e); }
        if (shard is null) throw new IclException($"{source}: empty patch result shard.");
        long size = shard.Shape.Aggregate(1L, (a, b) => a * b);
        if (shard.Values.Count != shard.Indices.Count)
            throw new IclException($"{source}: {shard.Target} holds {shard.Indices.Count} indices but {shard.Values.Count} values; " +
                $"the file is damaged, rerun shard {shard.ShardIndex}/{shard.ShardCount}.");
        if (shard.Indices.Any(i => i < 0 || i >= size))
            throw new IclException($"{source}: {shard.Target} names an index outside its {size}-cell grid; " +
                $"the file is damaged, rerun shard {shard.ShardIndex}/{shard.ShardCount}.");
        return shard;
    }
}
