using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IclNotebook.Patching;

/// <summary>
/// The part of a target's grid one shard computed (<see cref="PatchingEngine.RunShard"/>): the
/// flat indices it holds with their values, plus the whole <see cref="PatchGrid"/> (axes, labels,
/// baselines, settings) and the shard's own timings. <see cref="PatchResult.Merge"/> puts
/// the shards of a grid back together.
/// </summary>
public sealed record PatchResultShard : PatchGrid
{

    /// <summary>Which shard this is: 0-based index and count.</summary>
    public required int ShardIndex { get; init; }
    public required int ShardCount { get; init; }

    /// <summary>Row-major grid indices this shard computed, ascending.</summary>
    public required IReadOnlyList<int> Indices { get; init; }

    /// <summary>The metric for each of <see cref="Indices"/>.</summary>
    public required IReadOnlyList<double> Values { get; init; }

    /// <summary>Each prompt's metric for each of <see cref="Indices"/> (the means are <see cref="Values"/>); null in older shards.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? PerPrompt { get; init; }

    public PatchResultShard() { }

    /// <summary>Shard <paramref name="shard"/>'s cells of <paramref name="grid"/>; timings to set with an initializer.</summary>
    [SetsRequiredMembers]
    public PatchResultShard(PatchGrid grid, PatchShard shard, IReadOnlyList<int> indices, IReadOnlyList<double> values)
        : base(grid ?? throw new ArgumentNullException(nameof(grid)))
    {
        ShardIndex = shard.Index;
        ShardCount = shard.Count;
        Indices = indices;
        Values = values;
    }

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
        long size = shard.Size;
        if (shard.Values.Count != shard.Indices.Count)
            throw new IclException($"{source}: {shard.Target} holds {shard.Indices.Count} indices but {shard.Values.Count} values; " +
                $"the file is damaged, rerun shard {shard.ShardIndex}/{shard.ShardCount}.");
        if (shard.PerPrompt is { } perPrompt && (perPrompt.Count != shard.Indices.Count
                || perPrompt.Any(p => p.Count != (shard.CleanPerPrompt?.Count ?? p.Count))))
            throw new IclException($"{source}: {shard.Target}'s per-prompt values do not match its {shard.Indices.Count} indices and " +
                $"{shard.CleanPerPrompt?.Count} prompts; the file is damaged, rerun shard {shard.ShardIndex}/{shard.ShardCount}.");
        if (shard.Indices.Any(i => i < 0 || i >= size))
            throw new IclException($"{source}: {shard.Target} names an index outside its {size}-cell grid; " +
                $"the file is damaged, rerun shard {shard.ShardIndex}/{shard.ShardCount}.");
        return shard;
    }
}
