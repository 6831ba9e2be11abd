using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IclNotebook.Icl;
using IclNotebook.Loading;

namespace IclNotebook.Tests.Families;

/// <summary>
/// Family fixtures written at test time instead of committed: a checkpoint with a 152k vocabulary is ~10 MB, so a new
/// family borrows a committed fixture's embedding, norms, MLPs and tokenizer and draws the rest from a seed. The same
/// recipe, in the same order, is in the Python script that makes the TransformerLens goldens
/// (tools/tl-goldens/qwen3_qk_norm.py); both hash what they wrote (<see cref="Digest"/>), and the golden records its hash,
/// so a test never compares against goldens of other weights.
/// </summary>
internal static class SeededCheckpoints
{
    /// <summary>The fixtures written here, by name.</summary>
    public static bool Has(string model) => model == "tiny-qwen3-a";

    /// <summary>
    /// tiny-qwen3-a: tiny-qwen2-a's embedding, block norms, MLPs and tokenizer under a Qwen3 config with head_dim 16 (where
    /// d_model / heads is 8, so the explicit size matters), no attention biases, and q/k/v/o projections, per-head q/k norm
    /// weights and the final norm drawn from SplitMix64(<paramref name="seed"/>): projections k/512, q/k norms 1 + k/32, the
    /// final norm 8 + k/8 (it widens the logits, so the clean-corrupted gap is a few nats), for integers k, exact in bfloat16.
    /// Written as BF16, as the borrowed file is. Returns the digest of what it wrote.
    /// </summary>
    public static string WriteTinyQwen3A(string folder, ulong seed)
    {
        var source = Path.Combine(Fixtures.Root, "models", "tiny-qwen2-a");
        Directory.CreateDirectory(folder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray("Qwen3ForCausalLM");
        config["model_type"] = "qwen3";
        config["head_dim"] = 16;
        config["attention_bias"] = false;
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), config.ToJsonString());
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(source, file), Path.Combine(folder, file), overwrite: true);

        var tensors = new SortedDictionary<string, (long[] Shape, float[] Data)>(StringComparer.Ordinal);
        using (var borrowed = SafetensorsFile.Open(Path.Combine(source, ModelLoader.WeightsFile)))
        {
            foreach (var (name, entry) in borrowed.Tensors)
                if (!name.Contains(".self_attn.", StringComparison.Ordinal) && name != "model.norm.weight")
                    tensors[name] = (entry.Shape.ToArray(), borrowed.ReadFloat32(name));
        }
        const int d = 32, heads = 4, kv = 2, dHead = 16;
        var random = new SplitMix64(seed);
        float Projection() => (random.NextInt(255) - 127) / 512f;
        float NormWeight() => 1 + (random.NextInt(33) - 16) / 32f;
        for (int l = 0; l < 2; l++)
        {
            string p = $"model.layers.{l}.self_attn.";
            foreach (var (name, rows, cols) in new[] { ("q_proj", heads * dHead, d), ("k_proj", kv * dHead, d), ("v_proj", kv * dHead, d),
                ("o_proj", d, heads * dHead) })
                tensors[p + name + ".weight"] = ([rows, cols], Enumerable.Range(0, rows * cols).Select(_ => Projection()).ToArray());
            foreach (var name in new[] { "q_norm", "k_norm" })
                tensors[p + name + ".weight"] = ([dHead], Enumerable.Range(0, dHead).Select(_ => NormWeight()).ToArray());
        }
        tensors["model.norm.weight"] = ([d], Enumerable.Range(0, d).Select(_ => 8 + (random.NextInt(33) - 16) / 8f).ToArray());
        SafetensorsWriter.Write(Path.Combine(folder, ModelLoader.WeightsFile),
            tensors.Select(t => (t.Key, t.Value.Shape, (ReadOnlyMemory<float>)t.Value.Data)),
            new Dictionary<string, string> { ["format"] = "pt" }, SafetensorsDType.BF16);
        return Digest(Path.Combine(folder, ModelLoader.WeightsFile));
    }

    /// <summary>
    /// SHA-256 over a checkpoint's tensors in name order, each as its UTF-8 name and its values as little-endian float32
    /// (the Python script computes the same): independent of how the header is laid out.
    /// </summary>
    public static string Digest(string weights)
    {
        using var file = SafetensorsFile.Open(weights);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in file.Tensors.Keys.Order(StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(MemoryMarshal.AsBytes(file.ReadFloat32(name).AsSpan()));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
