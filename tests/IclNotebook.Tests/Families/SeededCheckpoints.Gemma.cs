using IclNotebook.Loading;

namespace IclNotebook.Tests.Families;

/// <summary>The fixtures with norms after their sublayers, drawn as tools/tl-goldens/gemma2.py, gemma3.py and olmo2.py draw them.</summary>
internal static partial class SeededCheckpoints
{
    // Gemma stores w for norms that scale by (1 + w): the blocks' norms scale by ~1 (Gemma 3's q/k norms by 1 +- 0.5); the
    // embedding is k/512, so that scaled by sqrt(d_model) = 8 its rows are ~1 in size, as Gemma's are, and attention's
    // post-normed outputs are not drowned by it; the final norm scales by ~7, so the tied unembedding's logits spread over
    // several nats, as with the other fixtures' k/64 heads.
    private static readonly (string Suffix, (float Offset, float Scale) Value)[] GemmaValues =
    [
        ("layernorm.weight", (0f, 1 / 256f)), ("q_norm.weight", (0f, 1 / 32f)), ("k_norm.weight", (0f, 1 / 32f)),
        ("model.norm.weight", (6f, 1 / 64f)), ("embed_tokens.weight", (0f, 1 / 512f)),
    ];

    /// <summary>
    /// tiny-gemma2-a: a Gemma 2 checkpoint in Hugging Face's layout (BF16): 2 layers, d_model 64, 4 query and 2 key/value heads
    /// of an explicit head_dim 32, query_pre_attn_scalar 24 (the scale is not sqrt(head_dim)), Gemma 2's soft caps (50, 30),
    /// a 16-token sliding window on layer 0 (Hugging Face's even layers; the prompts are ~145 tokens), the four norms per
    /// layer, tied embeddings; tiny-llama-a's tokenizer (a 32,000-token vocabulary keeps it small).
    /// </summary>
    public static string WriteTinyGemma2A(string folder, ulong seed) => Draw(folder, """
        {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
         "hidden_activation": "gelu_pytorch_tanh", "hidden_act": "gelu_pytorch_tanh", "max_position_embeddings": 8192,
         "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "query_pre_attn_scalar": 24, "sliding_window": 16,
         "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "attention_bias": false, "attention_dropout": 0.0,
         "initializer_range": 0.02, "vocab_size": 32000, "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2,
         "pad_token_id": 0, "cache_implementation": "hybrid", "use_cache": true, "torch_dtype": "bfloat16"}
        """, "tiny-llama-a", GemmaShapes(qkNorm: false), seed, SafetensorsDType.BF16, GemmaValues);

    /// <summary>
    /// tiny-gemma3-a: a Gemma 3 text checkpoint (Gemma3ForCausalLM, BF16): tiny-gemma2-a's shape plus per-head q/k norms, no
    /// soft caps, layer_types [sliding, full] with a 16-token window, rope bases 10,000 (local) and 1,000,000 (global).
    /// </summary>
    public static string WriteTinyGemma3A(string folder, ulong seed) => Draw(folder, """
        {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
         "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 32768, "rms_norm_eps": 1e-06,
         "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rope_scaling": null, "query_pre_attn_scalar": 24,
         "sliding_window": 16, "layer_types": ["sliding_attention", "full_attention"], "final_logit_softcapping": null,
         "attn_logit_softcapping": null, "attention_bias": false, "attention_dropout": 0.0, "initializer_range": 0.02,
         "vocab_size": 32000, "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
         "use_cache": true, "torch_dtype": "bfloat16"}
        """, "tiny-llama-a", GemmaShapes(qkNorm: true), seed, SafetensorsDType.BF16, GemmaValues);

    /// <summary>
    /// tiny-olmo2-a: an OLMo-2 checkpoint in Hugging Face's layout (BF16): 2 layers, d_model 64, 4 heads of 16 (no grouping, as
    /// OLMo-2 1B-13B), norms after attention and the MLP only, q/k norms over each token's whole projection, d_mlp 128,
    /// rope_theta 500000, untied head, tiny-llama-a's tokenizer; every tensor drawn by the default recipe (<see cref="Draw"/>).
    /// </summary>
    public static string WriteTinyOlmo2A(string folder, ulong seed)
    {
        const int d = 64, heads = 4, dHead = 16, mlp = 128, vocab = 32000;
        var shapes = new List<(string Name, long[] Shape)>
        {
            ("model.embed_tokens.weight", [vocab, d]), ("model.norm.weight", [d]), ("lm_head.weight", [vocab, d]),
        };
        for (int l = 0; l < 2; l++)
        {
            string p = $"model.layers.{l}.";
            shapes.AddRange([(p + "post_attention_layernorm.weight", [d]), (p + "post_feedforward_layernorm.weight", [d]),
                (p + "self_attn.q_proj.weight", [heads * dHead, d]), (p + "self_attn.k_proj.weight", [heads * dHead, d]),
                (p + "self_attn.v_proj.weight", [heads * dHead, d]), (p + "self_attn.o_proj.weight", [d, heads * dHead]),
                (p + "self_attn.q_norm.weight", [heads * dHead]), (p + "self_attn.k_norm.weight", [heads * dHead]),
                (p + "mlp.gate_proj.weight", [mlp, d]), (p + "mlp.up_proj.weight", [mlp, d]), (p + "mlp.down_proj.weight", [d, mlp])]);
        }
        return Draw(folder, """
            {"architectures": ["Olmo2ForCausalLM"], "model_type": "olmo2", "hidden_size": 64, "intermediate_size": 128,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "hidden_act": "silu",
             "max_position_embeddings": 4096, "rms_norm_eps": 1e-06, "rope_theta": 500000.0, "rope_scaling": null,
             "attention_bias": false, "attention_dropout": 0.0, "initializer_range": 0.02, "vocab_size": 32000,
             "tie_word_embeddings": false, "pad_token_id": 0, "eos_token_id": 2, "use_cache": true, "torch_dtype": "bfloat16"}
            """, "tiny-llama-a", shapes, seed, SafetensorsDType.BF16);
    }

    private static List<(string Name, long[] Shape)> GemmaShapes(bool qkNorm)
    {
        const int d = 64, heads = 4, kv = 2, dHead = 32, mlp = 128, vocab = 32000;
        var shapes = new List<(string Name, long[] Shape)> { ("model.embed_tokens.weight", [vocab, d]), ("model.norm.weight", [d]) };
        for (int l = 0; l < 2; l++)
        {
            string p = $"model.layers.{l}.";
            foreach (var norm in new[] { "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm" })
                shapes.Add((p + norm + ".weight", [d]));
            shapes.AddRange([(p + "self_attn.q_proj.weight", [heads * dHead, d]), (p + "self_attn.k_proj.weight", [kv * dHead, d]),
                (p + "self_attn.v_proj.weight", [kv * dHead, d]), (p + "self_attn.o_proj.weight", [d, heads * dHead]),
                (p + "mlp.gate_proj.weight", [mlp, d]), (p + "mlp.up_proj.weight", [mlp, d]), (p + "mlp.down_proj.weight", [d, mlp])]);
            if (qkNorm) shapes.AddRange([(p + "self_attn.q_norm.weight", [dHead]), (p + "self_attn.k_norm.weight", [dHead])]);
        }
        return shapes;
    }
}
