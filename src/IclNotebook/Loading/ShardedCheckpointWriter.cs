using System.Globalization;
using System.Text.Json;

namespace IclNotebook.Loading;

/// <summary>
/// Writes a checkpoint as the hub ships large models: shards <c>model-00001-of-0000N.safetensors</c> of at most a given size,
/// filled in the tensors' order, and <c>model.safetensors.index.json</c> (its <c>weight_map</c> and <c>total_size</c>).
/// Each tensor is produced only when its shard is written, so a checkpoint larger than memory can be written. The index is
/// written last: until it exists the folder is not a checkpoint; a failure deletes the shards already written.
/// </summary>
public static class ShardedCheckpointWriter
{
    /// <summary>Writes the shards and index into <paramref name="folder"/>; returns the bytes written to the shards.</summary>
    public static long Write(string folder, IReadOnlyList<(string Name, long[] Shape, Func<ReadOnlyMemory<float>> Data)> tensors,
        long maxShardBytes, SafetensorsDType dtype = SafetensorsDType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(tensors);
        if (maxShardBytes <= 0) throw new IclException($"A shard's size limit must be positive, not {maxShardBytes} bytes.");
        int width = dtype == SafetensorsDType.F32 ? 4 : 2;
        var shards = Shards(tensors, width, maxShardBytes);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        try
        {
            for (int i = 0; i < shards.Count; i++)
            {
                string file = string.Create(CultureInfo.InvariantCulture, $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors");
                string path = Path.Combine(folder, file);
                written.Add(path);
                SafetensorsWriter.Write(path, shards[i], metadata ?? new Dictionary<string, string> { ["format"] = "pt" }, dtype);
                foreach (var (name, shape, _) in shards[i])
                {
                    weightMap[name] = file;
                    total += shape.Aggregate(1L, (a, b) => a * b) * width;
                }
            }
            var index = new { metadata = new { total_size = total }, weight_map = weightMap };
            File.WriteAllText(Path.Combine(folder, Checkpoint.IndexFile), JsonSerializer.Serialize(index, IndentedJson));
            return total;
        }
        catch
        {
            foreach (var path in written) File.Delete(path);
            throw;
        }
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>The tensors grouped in order into shards of at most <paramref name="maxBytes"/> (a larger tensor has a shard of its own).</summary>
    private static List<List<(string, long[], Func<ReadOnlyMemory<float>>)>> Shards(
        IReadOnlyList<(string Name, long[] Shape, Func<ReadOnlyMemory<float>> Data)> tensors, int width, long maxBytes)
    {
        var shards = new List<List<(string, long[], Func<ReadOnlyMemory<float>>)>> { new() };
        long bytes = 0;
        foreach (var t in tensors)
        {
            long size = t.Shape.Aggregate(1L, (a, b) => a * b) * width;
            if (bytes > 0 && bytes + size > maxBytes)
            {
                shards.Add([]);
                bytes = 0;
            }
            shards[^1].Add((t.Name, t.Shape, t.Data));
            bytes += size;
        }
        return shards;
    }
}
