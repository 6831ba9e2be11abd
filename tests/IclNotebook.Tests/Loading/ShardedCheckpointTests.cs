using System.Text.Json;
using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Loading;

/// <summary>Sharded checkpoints (model.safetensors.index.json + shards), built from the fixture model.</summary>
public sealed class ShardedCheckpointTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-shards");

    public void Dispose() => _dir.Dispose();

    /// <summary>The fixture split into two shards (tensors alternating between them) with an index, as the hub ships large models.</summary>
    private string Sharded(string name, Action<Dictionary<string, string>>? editMap = null)
    {
        var folder = _dir[name];
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(Fixtures.TinyModel, "config.json"), Path.Combine(folder, "config.json"));
        using var source = SafetensorsFile.Open(Path.Combine(Fixtures.TinyModel, "model.safetensors"));
        var names = source.Tensors.Keys.ToList();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int shard = 0; shard < 2; shard++)
        {
            var file = $"model-0000{shard + 1}-of-00002.safetensors";
            var mine = names.Where((_, i) => i % 2 == shard).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, file),
                mine.Select(n => (n, source.Entry(n).Shape.ToArray(), (ReadOnlyMemory<float>)source.ReadFloat32(n))),
                new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var n in mine) map[n] = file;
        }
        editMap?.Invoke(map);
        var index = new { metadata = new { total_size = 0 }, weight_map = map };
        File.WriteAllText(Path.Combine(folder, Checkpoint.IndexFile), JsonSerializer.Serialize(index));
        return folder;
    }

    [Fact]
    public void A_sharded_checkpoint_loads_to_the_same_model_as_the_single_file()
    {
        var folder = Sharded("ok");
        using var sharded = ModelLoader.LoadFolder(folder);
        using var single = ModelLoader.LoadFolder(Fixtures.TinyModel);
        using var tokens = IclNotebook.Tests.Model.ModelFixture.Tokens("clean");
        using var a = sharded.Run(tokens);
        using var b = single.Run(tokens);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.Equal(Path.GetFullPath(folder), IclNotebook.Loading.Hub.ModelLocator.Check(folder).Folder); // a folder check accepts the sharded form
    }

    /// <summary>The kit's own sharded writer: the hub's file names, an index with the total size, a model equal to the single file's.</summary>
    [Fact]
    public void The_sharded_writer_writes_what_the_loader_reads_in_bf16_shards()
    {
        var folder = _dir["written"];
        File.Copy(Path.Combine(Fixtures.TinyModel, "config.json"), Path.Combine(Directory.CreateDirectory(folder).FullName, "config.json"));
        using var source = SafetensorsFile.Open(Path.Combine(Fixtures.TinyModel, "model.safetensors"));
        var tensors = source.Tensors.Keys.Select(n => (n, source.Entry(n).Shape.ToArray(),
            (Func<ReadOnlyMemory<float>>)(() => source.ReadFloat32(n)))).ToList();
        long total = ShardedCheckpointWriter.Write(folder, tensors, maxShardBytes: 100_000, SafetensorsDType.BF16);

        var shards = Checkpoint.ShardFiles(Path.Combine(folder, Checkpoint.IndexFile));
        Assert.True(shards.Count >= 3, $"{shards.Count} shards");
        Assert.Equal(shards.Select((_, i) => $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors"), shards);
        Assert.Equal(source.Tensors.Values.Sum(e => e.ElementCount * 2), total);
        using var fromShards = ModelLoader.LoadFolder(folder, WeightProcessing.Raw);
        using var single = ModelLoader.LoadFolder(Fixtures.TinyModel, WeightProcessing.Raw);
        using var expected = single.W_E.to(ScalarType.BFloat16).to(ScalarType.Float32);
        TensorAssert.Close(expected, fromShards.W_E, 0, "W_E written in BF16 shards and read back");
    }

    [Fact]
    public void A_missing_shard_is_named_with_a_tensor_it_holds()
    {
        var folder = Sharded("missing");
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(folder));
        Assert.Contains(Checkpoint.IndexFile, e.Message, StringComparison.Ordinal);
        Assert.Contains("shard 'model-00002-of-00002.safetensors' (holding '", e.Message, StringComparison.Ordinal);
        Assert.Contains("is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_naming_a_tensor_no_shard_has_is_refused_naming_both()
    {
        var folder = Sharded("stray", map => map["h.0.attn.c_proj.scale"] = "model-00001-of-00002.safetensors");
        var e = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(folder));
        Assert.Contains("the weight_map puts tensor 'h.0.attn.c_proj.scale' in model-00001-of-00002.safetensors, but that shard has no such tensor", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"weight_map\": ", "not valid JSON")]
    [InlineData("{\"metadata\": {}}", "expected an object with a \"weight_map\" object")]
    [InlineData("{\"weight_map\": {\"wte.weight\": \"../elsewhere.safetensors\"}}", "is not a file name in the checkpoint's folder")]
    public void A_malformed_index_is_refused_naming_the_file(string index, string expected)
    {
        var folder = Sharded("malformed");
        File.WriteAllText(Path.Combine(folder, Checkpoint.IndexFile), index);
        var e = Assert.Throws<IclException>(() => ModelLoader.LoadFolder(folder));
        Assert.Contains(Checkpoint.IndexFile, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
