using System.IO.Compression;
using IclNotebook.Loading;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// A checkpoint folder of a <see cref="BenchShape"/> with seeded random weights, in the exact
/// on-disk format of its Hugging Face repository (config.json, model.safetensors or shards and their index, in the
/// shape's stored dtype, and the shape's tokenizer files when it has some), for benchmarks.
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>
    /// Writes the shape's checkpoint (seed 0) into a temporary folder, runs <paramref name="run"/> on it
    /// (given the folder and the weights file's size in bytes), and deletes the folder whatever happens.
    /// </summary>
    public static void InTemporaryFolder(BenchShape shape, string bench, Action<string, long> run)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(run);
        var folder = Path.Combine(Path.GetTempPath(), $"icl-bench-{Environment.ProcessId}");
        try
        {
            Console.Error.WriteLine($"icl bench {bench}: writing {shape.Name}'s checkpoint with seeded random weights into {folder}");
            run(folder, Write(folder, shape, seed: 0));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Writes the folder (one weights file, or shards and their index); returns the weights' size in bytes.</summary>
    public static long Write(string folder, BenchShape shape, int seed)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), shape.ConfigJson);
        if (shape.TokenizerFolder is { } relative)
        {
            var source = Path.Combine(AppContext.BaseDirectory, relative);
            foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            {
                var path = Path.Combine(source, file);
                if (File.Exists(path + ".gz"))                                   // a large tokenizer.json is kept gzipped
                {
                    using var packed = new GZipStream(File.OpenRead(path + ".gz"), CompressionMode.Decompress);
                    using var unpacked = File.Create(Path.Combine(folder, file));
                    packed.CopyTo(unpacked);
                    continue;
                }
                if (!File.Exists(path))
                    throw new IclException($"{path} is missing: the build copies the bench tokenizers from tests/fixtures beside icl; " +
                        "rebuild from the repository.");
                File.Copy(path, Path.Combine(folder, file), overwrite: true);
            }
        }
        manual_seed(seed);
        // Each tensor is generated when the writer reaches it: one tensor in memory at a time.
        var tensors = shape.Tensors.Select(s => (s.Name, s.Shape, (Func<ReadOnlyMemory<float>>)(() =>
        {
            using var scope = NewDisposeScope();
            var t = BenchShape.IsNormWeight(s.Name) ? 1 + 0.1 * randn(s.Shape) : 0.02 * randn(s.Shape);
            return t.data<float>().ToArray();
        }))).ToList();
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (shape.ShardMb > 0) return ShardedCheckpointWriter.Write(folder, tensors, shape.ShardMb * 1_000_000L, shape.StoredAs, metadata);
        var weights = Path.Combine(folder, ModelLoader.WeightsFile);
        SafetensorsWriter.Write(weights, tensors, metadata, shape.StoredAs);
        return new FileInfo(weights).Length;
    }
}
