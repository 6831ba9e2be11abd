using System.Text.Json;

namespace IclNotebook.Loading;

/// <summary>
/// The safetensors files of a Hugging Face checkpoint folder: one <c>model.safetensors</c>, or a
/// sharded checkpoint (<c>model.safetensors.index.json</c>, whose <c>weight_map</c> names the
/// shard holding each tensor, as every model above ~2 GB ships). Opens every file it needs, checks
/// that each tensor the index names is in its shard, and says which file holds which tensor.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;

    private Checkpoint(List<SafetensorsFile> files, IReadOnlyList<(string Name, SafetensorsFile File)> tensors, string description)
    {
        _files = files;
        Tensors = tensors;
        Description = description;
    }

    /// <summary>Every tensor and the file holding it, in file (then header) order.</summary>
    public IReadOnlyList<(string Name, SafetensorsFile File)> Tensors { get; }

    /// <summary>The weights file's path, or the index's path and its shard count, for messages.</summary>
    public string Description { get; }

    /// <summary>Whether <paramref name="folder"/> holds a single-file or a sharded checkpoint.</summary>
    public static bool Exists(string folder) =>
        File.Exists(Path.Combine(folder, SingleFile)) || File.Exists(Path.Combine(folder, IndexFile));

    /// <summary>Opens the checkpoint in <paramref name="folder"/> (the single file when both forms are present).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "The checkpoint owns the file it is given and disposes it.")]
    public static Checkpoint Open(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var single = Path.Combine(folder, SingleFile);
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            return new Checkpoint([file], file.Tensors.Keys.Select(n => (n, file)).ToList(), single);
        }
        var index = Path.Combine(folder, IndexFile);
        if (!File.Exists(index))
            throw new IclException($"Model folder '{folder}' has neither {SingleFile} nor {IndexFile}; " +
                "only safetensors checkpoints are supported (pytorch_model.bin is not).");
        return OpenSharded(folder, index);
    }

    private static Checkpoint OpenSharded(string folder, string index)
    {
        var map = ReadWeightMap(index);
        var files = new List<SafetensorsFile>();
        try
        {
            var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var tensors = new List<(string, SafetensorsFile)>();
            foreach (var group in map.GroupBy(kv => kv.Value, StringComparer.Ordinal))
            {
                string shard = group.Key, path = Path.GetFullPath(Path.Combine(folder, shard));
                string? shardFolder = Path.GetDirectoryName(path);
                string checkpointFolder = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
                if (!string.Equals(shardFolder, checkpointFolder, StringComparison.Ordinal))
                    throw new IclException($"{index}: shard '{shard}' is not a file name in the checkpoint's folder; " +
                        "the weight_map must name files beside the index.");
                if (!File.Exists(path))
                    throw new IclException($"{index}: shard '{shard}' (holding '{group.First().Key}'{More(group.Count())}) " +
                        $"is missing from {folder}; download it again.");
                var file = SafetensorsFile.Open(path);
                files.Add(file);
                byShard[shard] = file;
                foreach (var (name, _) in group)
                {
                    if (!file.Tensors.ContainsKey(name))
                        throw new IclException($"{index}: the weight_map puts tensor '{name}' in {shard}, but that shard has no such tensor " +
                            $"(it holds {file.Tensors.Count}, e.g. {string.Join(", ", file.Tensors.Keys.Take(3))}); " +
                            "the index and the shards are from different checkpoints.");
                    tensors.Add((name, file));
                }
            }
            return new Checkpoint(files, tensors, $"{index} ({byShard.Count} shards)");
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>The shard files an index names, each once, in the order they first appear (what a downloader fetches).</summary>
    public static IReadOnlyList<string> ShardFiles(string index) =>
        ReadWeightMap(index).Select(kv => kv.Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The index's <c>weight_map</c>: tensor name -> shard file name.</summary>
    private static List<KeyValuePair<string, string>> ReadWeightMap(string index)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(index)); }
        catch (JsonException e) { throw new IclException($"{index}: not valid JSON ({e.Message}). Download it again."); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new IclException($"{index}: expected an object with a \"weight_map\" object (tensor name -> shard file name).");
            var result = new List<KeyValuePair<string, string>>();
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(entry.Value.GetString()))
                    throw new IclException($"{index}: weight_map[\"{entry.Name}\"] must be a shard file name, got {entry.Value.ValueKind}.");
                result.Add(new(entry.Name, entry.Value.GetString()!));
            }
            if (result.Count == 0) throw new IclException($"{index}: the weight_map is empty; the index names no tensors.");
            return result;
        }
    }

    private static string More(int count) => count > 1 ? $" and {count - 1} more" : "";

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
