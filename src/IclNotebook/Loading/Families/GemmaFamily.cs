using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// Gemma 2 and Gemma 3 (<c>model_type</c> gemma2, gemma3_text, and the text tower of the multimodal gemma3): the Llama
/// layout with Gemma's differences, read from config.json as Hugging Face's
/// modelling code reads it (TL 2.18 knows Gemma 2 only as hard-coded configs of Google's checkpoints): RMSNorms that scale
/// by (1 + w), so 1 is added to every stored norm weight on load, as TL does; a norm after attention and after the MLP
/// (<see cref="ModelConfig.PostNorms"/>); the embedding multiplied by sqrt(d_model) at lookup; scores divided by
/// sqrt(<c>query_pre_attn_scalar</c>) and soft-capped (<c>attn_logit_softcapping</c>), logits soft-capped
/// (<c>final_logit_softcapping</c>; TL then leaves the unembedding uncentred); a GELU-tanh gated MLP; sliding-window attention
/// on the layers <c>layer_types</c> names (without it, Hugging Face's default: even layers slide); grouped keys and values
/// (TL's <c>_W_K</c>, <c>_W_V</c>, always); tied embeddings unless the config says otherwise. Gemma 3 adds per-head query and
/// key norms (also 1 + w), has no soft caps by default, slides on five layers of six (<c>sliding_window_pattern</c>), and
/// rotates its local layers by <c>rope_local_base_freq</c> unscaled, its global ones by <c>rope_theta</c> and the config's
/// <c>rope_scaling</c> (linear in the 4B-27B models, which TL 2.18 omits: Hugging Face is followed). A multimodal gemma3
/// checkpoint loads its text tower: the config's <c>text_config</c> (absent fields take Gemma3TextConfig's defaults, as
/// Hugging Face's do), its <c>language_model</c> weights, the vision tower and projector skipped. TL's
/// <c>convert_gemma_weights</c>.
/// </summary>
public sealed class GemmaFamily : ModelFamily
{
    public override IReadOnlyList<string> ModelTypes { get; } = ["gemma2", "gemma3_text", "gemma3"];

    internal override string DisplayName(ModelConfig cfg) => cfg.ModelType == "gemma2" ? "Gemma 2" : "Gemma 3";

    public override ModelConfig ReadConfig(JsonElement root, string path, string name)
    {
        string type = Str(root, "model_type")!;
        if (type == "gemma3")                                                                   // multimodal: its text tower
            return root.TryGetProperty("text_config", out var text) && text.ValueKind == JsonValueKind.Object
                ? ReadConfig(text, path + " (text_config)", name) with { ModelType = "gemma3" }
                : throw new IclException($"{path}: a gemma3 config without a 'text_config' object; the text model's settings are read from it.");
        bool gemma3 = type != "gemma2";
        // Fields a config may omit take the defaults of Hugging Face's Gemma2Config / Gemma3TextConfig.
        int d = IntOr(root, "hidden_size", 2304, path), heads = IntOr(root, "num_attention_heads", 8, path);
        int layers = IntOr(root, "num_hidden_layers", 26, path), kv = IntOr(root, "num_key_value_heads", 4, path);
        int dHead = IntOr(root, "head_dim", 256, path);
        if (heads % kv != 0) throw new IclException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}.");
        var (theta, scaling) = RopeConfig.ReadLayerType(root, path, "full_attention") ?? RopeConfig.Read(root, path);
        double? localBase = gemma3 ? LocalBase(root, path) : null;
        int? window = root.TryGetProperty("sliding_window", out _) ? OptionalInt(root, "sliding_window", path)
            : OptionalInt(root, "sliding_window_size", path) ?? 4096;
        return new ModelConfig(name, layers, d, heads, dHead, IntOr(root, "intermediate_size", 9216, path),
            IntOr(root, "vocab_size", gemma3 ? 262208 : 256000, path), IntOr(root, "max_position_embeddings", gemma3 ? 131072 : 8192, path),
            Number(root, "rms_norm_eps") ?? 1e-6)
        {
            ModelType = type,
            QkNorm = gemma3,
            LocalRotaryBase = localBase,
            Normalization = NormalizationType.RMS,
            FinalRms = true,
            PostNorms = true,
            Positional = PositionalEmbeddingType.Rotary,
            RotaryDim = dHead,
            RotaryBase = theta ?? (gemma3 ? 1_000_000 : 10000),
            RopeScaling = scaling,
            GatedMlp = true,
            ActFn = Str(root, "hidden_activation") ?? Str(root, "hidden_act") ?? "gelu_pytorch_tanh",
            NKeyValueHeads = kv,
            TiedEmbeddings = Bool(root, "tie_word_embeddings") ?? true,
            EmbeddingScale = Math.Sqrt(d),
            QueryPreAttnScalar = Number(root, "query_pre_attn_scalar") ?? 256,
            AttnScoresSoftCap = SoftCap(root, "attn_logit_softcapping", gemma3 ? null : 50.0, path),
            OutputLogitsSoftCap = SoftCap(root, "final_logit_softcapping", gemma3 ? null : 30.0, path),
            SlidingWindow = window,
            SlidingLayers = window is null ? null : SlidingLayers(root, layers, gemma3 ? IntOr(root, "sliding_window_pattern", 6, path) : 2, path),
        };
    }

    private static int IntOr(JsonElement root, string key, int fallback, string path) => OptionalInt(root, key, path) ?? fallback;

    /// <summary>
    /// Gemma 3's local rotary base: <c>rope_local_base_freq</c> (default 10000), or transformers 5's sliding_attention rope;
    /// unscaled.
    /// </summary>
    private static double LocalBase(JsonElement root, string path)
    {
        if (RopeConfig.ReadLayerType(root, path, "sliding_attention") is var (theta, scaling))
            return scaling is null ? theta ?? 10000
                : throw new IclException($"{path}: rope_parameters.sliding_attention is scaled; Gemma 3's local layers rotate unscaled, " +
                    "and a scaled local rope is not implemented.");
        return Number(root, "rope_local_base_freq") ?? 10000;
    }

    /// <summary>A soft cap: the config's value, its default where the key is absent, none where it is null.</summary>
    private static double? SoftCap(JsonElement root, string key, double? fallback, string path)
    {
        if (!root.TryGetProperty(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.GetDouble() > 0 ? v.GetDouble()
            : throw new IclException($"{path}: '{key}' must be a positive number or null, not {v.GetRawText()}.");
    }

    /// <summary>
    /// Which layers slide: <c>layer_types</c> ("sliding_attention" / "full_attention"), else Hugging Face's default: all but every
    /// <paramref name="pattern"/>-th (Gemma 2: 2, the even layers slide; Gemma 3: <c>sliding_window_pattern</c>, default 6).
    /// </summary>
    private static bool[] SlidingLayers(JsonElement root, int layers, int pattern, string path) =>
        SlidingLayerTypes(root, layers, path) ?? Enumerable.Range(0, layers).Select(l => (l + 1) % pattern != 0).ToArray();

    /// <summary>Rotary buffers, and a multimodal checkpoint's vision tower and projector (the text tower is what loads).</summary>
    public override bool IsIgnoredBuffer(string key) => key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
        || Tower(key).StartsWith("vision_tower.", StringComparison.Ordinal)
        || Tower(key).StartsWith("multi_modal_projector.", StringComparison.Ordinal);

    /// <summary>
    /// The key without its model-class prefix: <c>model.</c>, or a multimodal checkpoint's <c>language_model.model.</c>
    /// (transformers before 4.52) / <c>model.language_model.</c> (after); its head <c>language_model.lm_head.</c> is <c>lm_head.</c>.
    /// </summary>
    public override string NormalizeKey(string key)
    {
        key = Tower(key);
        foreach (var prefix in new[] { "language_model.model.", "language_model.", "model." })
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return key[prefix.Length..];
        return key;
    }

    /// <summary>
    /// A multimodal key from transformers 4.52 on (<c>model.language_model.x</c>, <c>model.vision_tower.x</c>) without its
    /// <c>model.</c>.
    /// </summary>
    private static string Tower(string key) =>
        key.StartsWith("model.language_model.", StringComparison.Ordinal) || key.StartsWith("model.vision_tower.", StringComparison.Ordinal)
        || key.StartsWith("model.multi_modal_projector.", StringComparison.Ordinal) ? key["model.".Length..] : key;

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
        var lmHead = t.OptionalMatrix("lm_head.weight", cfg.DVocab, cfg.DModel);
        var head = cfg.TiedEmbeddings || lmHead is null ? t.GetMatrix("embed_tokens.weight", cfg.DVocab, cfg.DModel) : lmHead;
        return UnembeddingPart.Of(head, Norm(t, "norm.weight", cfg.DModel));
    }

    /// <summary>A Gemma norm's weight as TL holds it: the stored w plus 1, in float32.</summary>
    private static Tensor Norm(CheckpointTensors t, string key, int length) =>
        t.Get(key, length).add_(Runtime.HeldScalars.Of(1.0), Runtime.HeldScalars.One);

    internal override Dictionary<string, Tensor> Layer(CheckpointTensors t, ModelConfig cfg, int l)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel, h = cfg.NHeads, kv = cfg.NKv, dh = cfg.DHead, m = cfg.DMlp;
        string p = $"layers.{l}.";
        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            [StateDictKey.Ln1W(l)] = Norm(t, p + "input_layernorm.weight", d),
            [StateDictKey.Ln1PostW(l)] = Norm(t, p + "post_attention_layernorm.weight", d),
            [StateDictKey.Ln2W(l)] = Norm(t, p + "pre_feedforward_layernorm.weight", d),
            [StateDictKey.Ln2PostW(l)] = Norm(t, p + "post_feedforward_layernorm.weight", d),
        };
        var keys = StateDictKey.Qkv(l, cfg);                                                  // TL's W_Q, _W_K, _W_V
        for (int i = 0; i < 3; i++)
        {
            int n = i == 0 ? h : kv;
            var weight = t.Get($"{p}self_attn.{"qkv"[i]}_proj.weight", n * dh, d);             // [heads * d_head, d_model]
            tl[keys[i].Weight] = weight.view(n, dh, d).permute(0, 2, 1).contiguous();          // [heads, d_model, d_head]
            tl[keys[i].Bias] = zeros(n, dh);
        }
        if (cfg.QkNorm)
        {
            tl[StateDictKey.QNormW(l)] = Norm(t, p + "self_attn.q_norm.weight", dh);
            tl[StateDictKey.KNormW(l)] = Norm(t, p + "self_attn.k_norm.weight", dh);
        }
        var wO = t.Get(p + "self_attn.o_proj.weight", d, h * dh);                              // [d_model, heads * d_head]
        tl[StateDictKey.WO(l)] = wO.view(d, h, dh).permute(1, 2, 0).contiguous();               // [head, d_head, d_model]
        tl[StateDictKey.BO(l)] = zeros(d);
        tl[StateDictKey.WIn(l)] = t.Get(p + "mlp.up_proj.weight", m, d).t().contiguous();     // [d_model, d_mlp]
        tl[StateDictKey.WGate(l)] = t.Get(p + "mlp.gate_proj.weight", m, d).t().contiguous();
        tl[StateDictKey.WOut(l)] = t.Get(p + "mlp.down_proj.weight", d, m).t().contiguous();  // [d_mlp, d_model]
        tl[StateDictKey.BIn(l)] = zeros(m);
        tl[StateDictKey.BOut(l)] = zeros(d);
        return tl;
    }
}
