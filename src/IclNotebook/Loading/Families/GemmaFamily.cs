using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// Gemma 2 (<c>model_type</c> gemma2): the Llama layout with Gemma's differences, read from config.json as Hugging Face's
/// modelling code reads it (TL 2.18 knows Gemma 2 only as hard-coded configs of Google's checkpoints): RMSNorms that scale
/// by (1 + w), so 1 is added to every stored norm weight on load, as TL does; a norm after attention and after the MLP
/// (<see cref="ModelConfig.PostNorms"/>); the embedding multiplied by sqrt(d_model) at lookup; scores divided by
/// sqrt(<c>query_pre_attn_scalar</c>) and soft-capped (<c>attn_logit_softcapping</c>), logits soft-capped
/// (<c>final_logit_softcapping</c>; TL then leaves the unembedding uncentred); a GELU-tanh gated MLP; sliding-window attention
/// on the layers <c>layer_types</c> names (without it, Hugging Face's default: even layers slide); grouped keys and values
/// (TL's <c>_W_K</c>, <c>_W_V</c>, always); tied embeddings unless the config says otherwise. TL's <c>convert_gemma_weights</c>.
/// </summary>
public sealed class GemmaFamily : ModelFamily
{
    public override IReadOnlyList<string> ModelTypes { get; } = ["gemma2"];

    internal override string DisplayName(ModelConfig cfg) => "Gemma 2";

    public override ModelConfig ReadConfig(JsonElement root, string path, string name)
    {
        int d = Int(root, "hidden_size", path), heads = Int(root, "num_attention_heads", path), layers = Int(root, "num_hidden_layers", path);
        int kv = OptionalInt(root, "num_key_value_heads", path) ?? heads;
        int dHead = OptionalInt(root, "head_dim", path) ?? 256;                                 // Gemma2Config's default
        if (heads % kv != 0) throw new IclException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}.");
        var (theta, scaling) = RopeConfig.Read(root, path);
        int? window = OptionalInt(root, "sliding_window", path) ?? OptionalInt(root, "sliding_window_size", path);
        return new ModelConfig(name, layers, d, heads, dHead, Int(root, "intermediate_size", path), Int(root, "vocab_size", path),
            OptionalInt(root, "max_position_embeddings", path) ?? 8192, Number(root, "rms_norm_eps") ?? 1e-6)
        {
            ModelType = "gemma2",
            Normalization = NormalizationType.RMS,
            FinalRms = true,
            PostNorms = true,
            Positional = PositionalEmbeddingType.Rotary,
            RotaryDim = dHead,
            RotaryBase = theta ?? 10000,
            RopeScaling = scaling,
            GatedMlp = true,
            ActFn = Str(root, "hidden_activation") ?? Str(root, "hidden_act") ?? "gelu_pytorch_tanh",
            NKeyValueHeads = kv,
            TiedEmbeddings = Bool(root, "tie_word_embeddings") ?? true,
            EmbeddingScale = Math.Sqrt(d),
            QueryPreAttnScalar = Number(root, "query_pre_attn_scalar") ?? 256,
            AttnScoresSoftCap = SoftCap(root, "attn_logit_softcapping", 50.0, path),
            OutputLogitsSoftCap = SoftCap(root, "final_logit_softcapping", 30.0, path),
            SlidingWindow = window,
            SlidingLayers = window is null ? null : SlidingLayers(root, layers, path),
        };
    }

    /// <summary>A soft cap: the config's value, its default where the key is absent, none where it is null.</summary>
    private static double? SoftCap(JsonElement root, string key, double fallback, string path)
    {
        if (!root.TryGetProperty(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.GetDouble() > 0 ? v.GetDouble()
            : throw new IclException($"{path}: '{key}' must be a positive number or null, not {v.GetRawText()}.");
    }

    /// <summary>Which layers slide: <c>layer_types</c> ("sliding_attention" / "full_attention"), else even layers (Hugging Face's default).</summary>
    private static bool[] SlidingLayers(JsonElement root, int layers, string path)
    {
        if (!root.TryGetProperty("layer_types", out var types) || types.ValueKind == JsonValueKind.Null)
            return Enumerable.Range(0, layers).Select(l => l % 2 == 0).ToArray();
        var kinds = types.ValueKind == JsonValueKind.Array ? types.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString() : null).ToArray() : [];
        if (kinds.Length != layers || kinds.Any(k => k is not ("sliding_attention" or "full_attention")))
            throw new IclException($"{path}: 'layer_types' must list \"sliding_attention\" or \"full_attention\" for each of the {layers} layers; " +
                $"got {types.GetRawText()}.");
        return kinds.Select(k => k == "sliding_attention").ToArray();
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
        var lmHead = t.OptionalMatrix("lm_head.weight", cfg.DVocab, cfg.DModel);
        var head = cfg.TiedEmbeddings || lmHead is null ? t.GetMatrix("embed_tokens.weight", cfg.DVocab, cfg.DModel) : lmHead;
        return UnembeddingPart.Of(head, Norm(t, "norm.weight", cfg.DModel));
    }

    /// <summary>A Gemma norm's weight as TL holds it: the stored w plus 1, in float32.</summary>
    private static Tensor Norm(CheckpointTensors t, string key, int length) => t.Get(key, length).add_(Runtime.HeldScalars.Of(1.0));

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
        tl[StateDictKey.WO(l)] = t.Get(p + "self_attn.o_proj.weight", d, h * dh).view(d, h, dh).permute(1, 2, 0).contiguous(); // [head, d_head, d_model]
        tl[StateDictKey.BO(l)] = zeros(d);
        tl[StateDictKey.WIn(l)] = t.Get(p + "mlp.up_proj.weight", m, d).t().contiguous();     // [d_model, d_mlp]
        tl[StateDictKey.WGate(l)] = t.Get(p + "mlp.gate_proj.weight", m, d).t().contiguous();
        tl[StateDictKey.WOut(l)] = t.Get(p + "mlp.down_proj.weight", d, m).t().contiguous();  // [d_mlp, d_model]
        tl[StateDictKey.BIn(l)] = zeros(m);
        tl[StateDictKey.BOut(l)] = zeros(d);
        return tl;
    }
}
