using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// Llama, Mistral, Qwen2, Qwen3 and Phi-3 (<c>model_type</c> llama, mistral, qwen2, qwen3, phi3): rotary, RMSNorm,
/// SwiGLU, grouped-query attention, separate <c>q/k/v/o_proj</c> and <c>gate/up/down_proj</c>.
/// Qwen2 adds q/k/v biases, always uses TL's grouped attention and prepends no BOS; Qwen3 prepends none either, normalises
/// each query and key head (<c>self_attn.q_norm/k_norm</c>) and has an explicit <c>head_dim</c> (Hugging Face's default
/// 128 where the config omits it); tied embeddings (<c>tie_word_embeddings</c>, or no <c>lm_head.weight</c>) unembed with
/// <c>W_E^T</c>. Phi-3 stores q/k/v as one <c>qkv_proj</c> and gate/up as one <c>gate_up_proj</c> (split here, as TL does) and
/// may rotate part of each head (<c>partial_rotary_factor</c>, which TL 2.18 ignores: Hugging Face's reading is followed).
/// OLMo-2 (olmo2, which TL 2.18 does not have: Hugging Face's modelling code is followed) normalises no sublayer's input but
/// each one's output (<c>post_attention_layernorm</c>, <c>post_feedforward_layernorm</c>: TL's <c>ln1_post</c>/<c>ln2_post</c>),
/// and its queries and keys over each token's whole projection (<see cref="ModelConfig.QkNormOverHeads"/>); no BOS.
/// TL's <c>convert_llama_weights</c> / <c>convert_qwen2_weights</c> / <c>convert_qwen3_weights</c> / <c>convert_phi3_weights</c>.
/// </summary>
public sealed class LlamaFamily : ModelFamily
{
    public override IReadOnlyList<string> ModelTypes { get; } = ["llama", "mistral", "qwen2", "qwen3", "phi3", "olmo2"];

    public override ModelConfig ReadConfig(JsonElement root, string path, string name)
    {
        string type = Str(root, "model_type")!;
        bool qwen2 = type == "qwen2", qwen3 = type == "qwen3", olmo2 = type == "olmo2";
        int d = Int(root, "hidden_size", path), heads = Int(root, "num_attention_heads", path);
        int kv = OptionalInt(root, "num_key_value_heads", path) ?? heads;
        int dHead = OptionalInt(root, "head_dim", path) ?? (qwen3 ? 128 : d / heads);
        if (heads % kv != 0) throw new IclException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}.");
        var (theta, scaling) = RopeConfig.Read(root, path);
        double partial = type == "phi3" ? Number(root, "partial_rotary_factor") ?? 1.0 : 1.0;
        int nCtx = Int(root, "max_position_embeddings", path);
        // Sliding-window attention as Hugging Face's configs ask for it: Mistral and Phi-3 on every layer; Qwen2/Qwen3 only with
        // use_sliding_window, on the layers layer_types names, else from max_window_layers on.
        bool windowed = qwen2 || qwen3
            ? Bool(root, "use_sliding_window") == true
            : root.TryGetProperty("sliding_window", out var w) && w.ValueKind == JsonValueKind.Number;
        int? window = windowed ? OptionalInt(root, "sliding_window", path) : null;
        int layers = Int(root, "num_hidden_layers", path);
        return new ModelConfig(name, layers, d, heads, dHead, Int(root, "intermediate_size", path),
            Int(root, "vocab_size", path), nCtx, Number(root, "rms_norm_eps") ?? 1e-5)
        {
            ModelType = type,
            Normalization = NormalizationType.RMS,
            FinalRms = true,
            Positional = PositionalEmbeddingType.Rotary,
            RotaryDim = (int)(dHead * partial),                                              // Python's int(), as HF
            RotaryBase = theta ?? 10000,
            RopeScaling = scaling,
            GatedMlp = true,
            ActFn = Str(root, "hidden_act") ?? "silu",
            NKeyValueHeads = qwen2 || kv != heads ? kv : null,
            QkNorm = qwen3 || olmo2,
            QkNormOverHeads = olmo2,
            PreNorms = !olmo2,
            PostNorms = olmo2,
            DefaultPrependBos = !(qwen2 || qwen3 || olmo2),
            TiedEmbeddings = Bool(root, "tie_word_embeddings") == true,
            SlidingWindow = window,
            SlidingLayers = window is null ? null : SlidingLayers(root, layers, qwen2 || qwen3, path),
        };
    }

    /// <summary>Which layers slide: <c>layer_types</c> where given; else every layer, or for Qwen2/Qwen3 those from <c>max_window_layers</c> on.</summary>
    private static bool[] SlidingLayers(JsonElement root, int layers, bool qwen, string path)
    {
        int first = qwen ? (int)(Number(root, "max_window_layers") ?? 28) : 0;                     // Qwen2Config's default 28
        return SlidingLayerTypes(root, layers, path) ?? Enumerable.Range(0, layers).Select(l => l >= first).ToArray();
    }

    public override bool IsIgnoredBuffer(string key) => key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    public override string NormalizeKey(string key) =>
        key.StartsWith("model.", StringComparison.Ordinal) ? key["model.".Length..] : key;

    internal override EmbeddingPart Embeddings(CheckpointTensors t, ModelConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        return new EmbeddingPart(t.GetMatrix("embed_tokens.weight", cfg.DVocab, cfg.DModel), []);
    }

    internal override UnembeddingPart Unembedding(CheckpointTensors t, ModelConfig cfg, string source)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel;
        // Tied embeddings: the unembedding is the embedding's transpose (Hugging Face ties them even where a checkpoint also
        // stores an lm_head); an untied checkpoint without an lm_head falls back to the embedding too.
        var lmHead = t.OptionalMatrix("lm_head.weight", cfg.DVocab, d);
        var head = cfg.TiedEmbeddings || lmHead is null ? t.GetMatrix("embed_tokens.weight", cfg.DVocab, d) : lmHead;
        return UnembeddingPart.Of(head, t.Get("norm.weight", d));
    }

    internal override Dictionary<string, Tensor> Layer(CheckpointTensors t, ModelConfig cfg, int l)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel, h = cfg.NHeads, kv = cfg.NKv, dh = cfg.DHead, m = cfg.DMlp;
        Tensor Zeros(params long[] shape) => zeros(shape, dtype: ScalarType.Float32);
        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        string p = $"layers.{l}.";
        bool olmo2 = cfg.ModelType == "olmo2";
        if (olmo2)                                                                            // norms after attention and the MLP
        {
            tl[StateDictKey.Ln1PostW(l)] = t.Get(p + "post_attention_layernorm.weight", d);
            tl[StateDictKey.Ln2PostW(l)] = t.Get(p + "post_feedforward_layernorm.weight", d);
        }
        else tl[StateDictKey.Ln1W(l)] = t.Get(p + "input_layernorm.weight", d);
        bool fused = cfg.ModelType == "phi3";
        var qkv = fused ? t.Get(p + "self_attn.qkv_proj.weight", (h + 2 * kv) * dh, d).split([h * dh, kv * dh, kv * dh]) : null;
        var keys = StateDictKey.Qkv(l, cfg);                                                  // grouped: TL's _W_K, _W_V
        for (int i = 0; i < 3; i++)
        {
            int heads = i == 0 ? h : kv;
            string proj = $"{p}self_attn.{"qkv"[i]}_proj.";
            var weight = qkv?[i] ?? t.Get(proj + "weight", heads * dh, d);                     // [heads * d_head, d_model]
            tl[keys[i].Weight] = weight.view(heads, dh, d).permute(0, 2, 1).contiguous();      // [heads, d_model, d_head]
            var bias = fused ? null : t.Optional(proj + "bias", heads * dh);
            tl[keys[i].Bias] = bias is null ? Zeros(heads, dh) : bias.view(heads, dh).contiguous();
        }
        // [head, d_head, d_model]
        tl[StateDictKey.WO(l)] = t.Get(p + "self_attn.o_proj.weight", d, h * dh).view(d, h, dh).permute(1, 2, 0).contiguous();
        tl[StateDictKey.BO(l)] = t.Optional(p + "self_attn.o_proj.bias", d) ?? Zeros(d);
        if (cfg.QkNorm)
        {
            tl[StateDictKey.QNormW(l)] = t.Get(p + "self_attn.q_norm.weight", olmo2 ? h * dh : dh);
            tl[StateDictKey.KNormW(l)] = t.Get(p + "self_attn.k_norm.weight", olmo2 ? kv * dh : dh);
        }
        if (!olmo2) tl[StateDictKey.Ln2W(l)] = t.Get(p + "post_attention_layernorm.weight", d);
        var gateUp = fused ? t.Get(p + "mlp.gate_up_proj.weight", 2 * m, d).split([m, m]) : null; // gate rows first, then up
        tl[StateDictKey.WIn(l)] = (gateUp?[1] ?? t.Get(p + "mlp.up_proj.weight", m, d)).t().contiguous();     // [d_model, d_mlp]
        tl[StateDictKey.WGate(l)] = (gateUp?[0] ?? t.Get(p + "mlp.gate_proj.weight", m, d)).t().contiguous(); // [d_model, d_mlp]
        tl[StateDictKey.WOut(l)] = t.Get(p + "mlp.down_proj.weight", d, m).t().contiguous();  // [d_mlp, d_model]
        tl[StateDictKey.BIn(l)] = Zeros(m);
        tl[StateDictKey.BOut(l)] = Zeros(d);
        return tl;
    }
}
