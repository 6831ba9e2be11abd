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
/// (tools/tl-goldens/qwen3_qk_norm.py, gptj.py); both hash what they wrote (<see cref="Digest"/>), and the golden records its hash,
/// so a test never compares against goldens of other weights.
/// </summary>
internal static class SeededCheckpoints
{
    /// <summary>The fixtures written here, by name.</summary>
    public static bool Has(string model) => model is "tiny-qwen3-a" or "tiny-gptj-a";

    /// <summary>Writes fixture <paramref name="model"/> from <paramref name="seed"/> into <paramref name="folder"/>; returns its digest.</summary>
    public static string Write(string model, string folder, ulong seed) => model switch
    {
        "tiny-qwen3-a" => WriteTinyQwen3A(folder, seed),
        "tiny-gptj-a" => WriteTinyGptjA(folder, seed),
        _ => throw new ArgumentException($"{model} is not a seeded fixture", nameof(model)),
    };

    /// <summary>
    /// tiny-gptj-a: a GPT-J checkpoint in Hugging Face's layout (F16, as GPT-J-6B's float16 revision): 2 layers, d_model 64,
    /// 4 heads of 16 with rotary on the first 8 dimensions (a quarter, as GPT-J-6B's 64 of 256), d_mlp 256, GPT-J's padded
    /// 50,400-token vocabulary, biased untied lm_head, tiny-neox-a's GPT-2 tokenizer. Every tensor is drawn from
    /// SplitMix64(<paramref name="seed"/>) in name order, value = offset + k * scale with k uniform in [-127, 127]: norms' weights
    /// 1 + k/256, embedding and head k/64 (peaked logits), queries' and keys' projections k/128 (sharp attention, which lets
    /// the labels move the answer), other weights k/512, biases k/1024; all exact in float16.
    /// </summary>
    public static string WriteTinyGptjA(string folder, ulong seed)
    {
        const int d = 64, layers = 2, mlp = 256, vocab = 50400;
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), """
            {"architectures": ["GPTJForCausalLM"], "model_type": "gptj", "n_embd": 64, "n_head": 4, "n_layer": 2, "n_positions": 2048,
             "rotary_dim": 8, "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05, "vocab_size": 50400,
             "tie_word_embeddings": false, "bos_token_id": 50256, "eos_token_id": 50256, "attn_pdrop": 0.0, "embd_pdrop": 0.0,
             "resid_pdrop": 0.0, "initializer_range": 0.02, "use_cache": true, "torch_dtype": "float16"}
            """);
        var source = Path.Combine(Fixtures.Root, "models", "tiny-neox-a");
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(source, file), Path.Combine(folder, file), overwrite: true);
        var shapes = new List<(string Name, long[] Shape)>
        {
            ("transformer.wte.weight", [vocab, d]), ("transformer.ln_f.weight", [d]), ("transformer.ln_f.bias", [d]),
            ("lm_head.weight", [vocab, d]), ("lm_head.bias", [vocab]),
        };
        for (int l = 0; l < layers; l++)
        {
            string p = $"transformer.h.{l}.";
            shapes.AddRange([(p + "ln_1.weight", [d]), (p + "ln_1.bias", [d]), (p + "attn.q_proj.weight", [d, d]),
                (p + "attn.k_proj.weight", [d, d]), (p + "attn.v_proj.weight", [d, d]), (p + "attn.out_proj.weight", [d, d]),
                (p + "mlp.fc_in.weight", [mlp, d]), (p + "mlp.fc_in.bias", [mlp]), (p + "mlp.fc_out.weight", [d, mlp]),
                (p + "mlp.fc_out.bias", [d])]);
        }
        var random = new SplitMix64(seed);
        var tensors = shapes.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t =>
        {
            var (offset, scale) = t.Name switch
            {
                _ when t.Name.Contains("ln_", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal) => (1f, 1 / 256f),
                "transformer.wte.weight" or "lm_head.weight" => (0f, 1 / 64f),
                _ when t.Name.EndsWith("attn.q_proj.weight", StringComparison.Ordinal)
                    || t.Name.EndsWith("attn.k_proj.weight", StringComparison.Ordinal) => (0f, 1 / 128f),
                _ when t.Name.EndsWith(".bias", StringComparison.Ordinal) => (0f, 1 / 1024f),
                _ => (0f, 1 / 512f),
            };
            var values = new float[t.Shape.Aggregate(1L, (a, b) => a * b)];
            for (long i = 0; i < values.Length; i++) values[i] = offset + (random.NextInt(255) - 127) * scale;
            return (t.Name, t.Shape, (ReadOnlyMemory<float>)values);
        }).ToList();
        var weights = Path.Combine(folder, ModelLoader.WeightsFile);
        SafetensorsWriter.Write(weights, tensors, new Dictionary<string, string> { ["format"] = "pt" }, SafetensorsDType.F16);
        return Digest(weights);
    }

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
