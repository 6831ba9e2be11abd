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
/// (tools/tl-goldens/qwen3_qk_norm.py, gptj.py, phi3.py, gemma2.py, gemma3.py); both hash what they wrote (<see cref="Digest"/>), and the golden records its hash,
/// so a test never compares against goldens of other weights.
/// </summary>
internal static partial class SeededCheckpoints
{
    /// <summary>The fixtures written here, by name.</summary>
    public static bool Has(string model) => model is "tiny-qwen3-a" or "tiny-gptj-a" or "tiny-phi3-a" or "tiny-gemma2-a" or "tiny-gemma3-a"
        or "tiny-olmo2-a";

    /// <summary>Writes fixture <paramref name="model"/> from <paramref name="seed"/> into <paramref name="folder"/>; returns its digest.</summary>
    public static string Write(string model, string folder, ulong seed) => model switch
    {
        "tiny-qwen3-a" => WriteTinyQwen3A(folder, seed),
        "tiny-gptj-a" => WriteTinyGptjA(folder, seed),
        "tiny-phi3-a" => WriteTinyPhi3A(folder, seed),
        "tiny-gemma2-a" => WriteTinyGemma2A(folder, seed),
        "tiny-gemma3-a" => WriteTinyGemma3A(folder, seed),
        "tiny-olmo2-a" => WriteTinyOlmo2A(folder, seed),
        _ => throw new ArgumentException($"{model} is not a seeded fixture", nameof(model)),
    };

    /// <summary>
    /// tiny-gptj-a: a GPT-J checkpoint in Hugging Face's layout (F16, as GPT-J-6B's float16 revision): 2 layers, d_model 64,
    /// 4 heads of 16 with rotary on the first 8 dimensions (a quarter, as GPT-J-6B's 64 of 256), d_mlp 256, GPT-J's padded
    /// 50,400-token vocabulary, biased untied lm_head, tiny-neox-a's GPT-2 tokenizer; every tensor drawn (<see cref="Draw"/>).
    /// </summary>
    public static string WriteTinyGptjA(string folder, ulong seed)
    {
        const int d = 64, mlp = 256, vocab = 50400;
        var shapes = new List<(string Name, long[] Shape)>
        {
            ("transformer.wte.weight", [vocab, d]), ("transformer.ln_f.weight", [d]), ("transformer.ln_f.bias", [d]),
            ("lm_head.weight", [vocab, d]), ("lm_head.bias", [vocab]),
        };
        for (int l = 0; l < 2; l++)
        {
            string p = $"transformer.h.{l}.";
            shapes.AddRange([(p + "ln_1.weight", [d]), (p + "ln_1.bias", [d]), (p + "attn.q_proj.weight", [d, d]),
                (p + "attn.k_proj.weight", [d, d]), (p + "attn.v_proj.weight", [d, d]), (p + "attn.out_proj.weight", [d, d]),
                (p + "mlp.fc_in.weight", [mlp, d]), (p + "mlp.fc_in.bias", [mlp]), (p + "mlp.fc_out.weight", [d, mlp]),
                (p + "mlp.fc_out.bias", [d])]);
        }
        return Draw(folder, """
            {"architectures": ["GPTJForCausalLM"], "model_type": "gptj", "n_embd": 64, "n_head": 4, "n_layer": 2, "n_positions": 2048,
             "rotary_dim": 8, "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05, "vocab_size": 50400,
             "tie_word_embeddings": false, "bos_token_id": 50256, "eos_token_id": 50256, "attn_pdrop": 0.0, "embd_pdrop": 0.0,
             "resid_pdrop": 0.0, "initializer_range": 0.02, "use_cache": true, "torch_dtype": "float16"}
            """, "tiny-neox-a", shapes, seed, SafetensorsDType.F16);
    }

    /// <summary>
    /// tiny-phi3-a: a Phi-3 checkpoint in Hugging Face's layout (BF16): 2 layers, d_model 64, 4 query and 2 key/value heads
    /// (Phi-3-medium groups them too), fused <c>qkv_proj</c> and <c>gate_up_proj</c>, d_mlp 128, Phi-3's 32,064-token
    /// vocabulary, untied head, sliding_window 2047 as Phi-3-mini-4k's config; tiny-llama-a's tokenizer (Phi-3's is Llama 2's
    /// plus 64 added tokens); every tensor drawn (<see cref="Draw"/>).
    /// </summary>
    public static string WriteTinyPhi3A(string folder, ulong seed)
    {
        const int d = 64, heads = 4, kv = 2, dHead = 16, mlp = 128, vocab = 32064;
        var shapes = new List<(string Name, long[] Shape)>
        {
            ("model.embed_tokens.weight", [vocab, d]), ("model.norm.weight", [d]), ("lm_head.weight", [vocab, d]),
        };
        for (int l = 0; l < 2; l++)
        {
            string p = $"model.layers.{l}.";
            shapes.AddRange([(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d]),
                (p + "self_attn.qkv_proj.weight", [(heads + 2 * kv) * dHead, d]), (p + "self_attn.o_proj.weight", [d, heads * dHead]),
                (p + "mlp.gate_up_proj.weight", [2 * mlp, d]), (p + "mlp.down_proj.weight", [d, mlp])]);
        }
        return Draw(folder, """
            {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 64, "intermediate_size": 128,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu",
             "max_position_embeddings": 4096, "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "rope_scaling": null, "sliding_window": 2047, "attention_bias": false, "attention_dropout": 0.0, "embd_pdrop": 0.0,
             "resid_pdrop": 0.0, "initializer_range": 0.02, "vocab_size": 32064, "tie_word_embeddings": false, "bos_token_id": 1,
             "eos_token_id": 32000, "pad_token_id": 32000, "use_cache": true, "torch_dtype": "bfloat16"}
            """, "tiny-llama-a", shapes, seed, SafetensorsDType.BF16);
    }

    /// <summary>
    /// Writes config.json, a committed fixture's tokenizer files and a checkpoint whose every tensor is drawn from
    /// SplitMix64(<paramref name="seed"/>) in name order, value = offset + k * scale with k uniform in [-127, 127]: norms'
    /// weights 1 + k/256, embedding and head k/64 (peaked logits), queries' and keys' projections k/128 (sharp attention, so
    /// the demonstrations' labels move the answer; Phi-3's fused qkv_proj, values included, k/256), other weights k/512,
    /// biases k/1024; all exact in float16 and bfloat16. <paramref name="overrides"/> (name suffix, offset and scale; the first
    /// a name ends with) replace those for a family's needs. Returns the digest.
    /// </summary>
    private static string Draw(string folder, string config, string tokenizerFrom, List<(string Name, long[] Shape)> shapes, ulong seed,
        SafetensorsDType dtype, (string Suffix, (float Offset, float Scale) Value)[]? overrides = null)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), config);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Fixtures.Root, "models", tokenizerFrom, file), Path.Combine(folder, file), overwrite: true);
        var random = new SplitMix64(seed);
        var tensors = shapes.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t =>
        {
            var (offset, scale) = overrides?.FirstOrDefault(o => t.Name.EndsWith(o.Suffix, StringComparison.Ordinal)) is { Suffix: not null } o
                ? o.Value : OffsetAndScale(t.Name);
            var values = new float[t.Shape.Aggregate(1L, (a, b) => a * b)];
            for (long i = 0; i < values.Length; i++) values[i] = offset + (random.NextInt(255) - 127) * scale;
            return (t.Name, t.Shape, (ReadOnlyMemory<float>)values);
        }).ToList();
        var weights = Path.Combine(folder, ModelLoader.WeightsFile);
        SafetensorsWriter.Write(weights, tensors, new Dictionary<string, string> { ["format"] = "pt" }, dtype);
        return Digest(weights);
    }

    private static (float Offset, float Scale) OffsetAndScale(string name) => name switch
    {
        _ when name.EndsWith(".weight", StringComparison.Ordinal) && (name.Contains("ln_", StringComparison.Ordinal)
            || name.Contains("norm", StringComparison.Ordinal)) => (1f, 1 / 256f),
        "transformer.wte.weight" or "model.embed_tokens.weight" or "lm_head.weight" => (0f, 1 / 64f),
        _ when name.EndsWith("attn.q_proj.weight", StringComparison.Ordinal) || name.EndsWith("attn.k_proj.weight", StringComparison.Ordinal)
            => (0f, 1 / 128f),
        _ when name.EndsWith("attn.qkv_proj.weight", StringComparison.Ordinal) => (0f, 1 / 256f),
        _ when name.EndsWith(".bias", StringComparison.Ordinal) => (0f, 1 / 1024f),
        _ => (0f, 1 / 512f),
    };

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
