using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// GPT-2 (<c>model_type</c> gpt2, GPT2LMHeadModel): learned positions, LayerNorm, gelu_new, tied
/// unembedding. HF stores attention as one Conv1D <c>c_attn [d_model, 3*d_model]</c> (input
/// dimension first); TL's <c>convert_gpt2_weights</c>.
/// </summary>
public sealed class Gpt2Family : ModelFamily
{
    public override IReadOnlyList<string> ModelTypes { get; } = ["gpt2"];

    public override ModelConfig ReadConfig(JsonElement root, string path, string name)
    {
        var archs = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(e => e.GetString() ?? "").ToArray() : [];
        if (archs.Any(x => x is not ("GPT2LMHeadModel" or "GPT2Model")))
            throw new IclException($"{path}: unsupported architecture (model_type 'gpt2', architectures [{string.Join(", ", archs)}]); " +
                "GPT-2 models are GPT2LMHeadModel.");
        string act = Str(root, "activation_function") ?? "gelu_new";
        if (act != "gelu_new")
            throw new IclException($"{path}: activation_function '{act}' is not supported; GPT-2 models use 'gelu_new'.");
        if (Bool(root, "scale_attn_by_inverse_layer_idx") == true || Bool(root, "reorder_and_upcast_attn") == true)
            throw new IclException($"{path}: scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported.");
        int d = Int(root, "n_embd", path), heads = Int(root, "n_head", path);
        if (d % heads != 0) throw new IclException($"{path}: n_embd {d} is not divisible by n_head {heads}.");
        int dMlp = OptionalInt(root, "n_inner", path) ?? 4 * d;
        return new ModelConfig(name, Int(root, "n_layer", path), d, heads, d / heads, dMlp,
            Int(root, "vocab_size", path), Int(root, "n_positions", path), Number(root, "layer_norm_epsilon") ?? 1e-5);
    }

    public override bool IsIgnoredBuffer(string key) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    public override string NormalizeKey(string key) =>
        key.StartsWith("transformer.", StringComparison.Ordinal) ? key["transformer.".Length..] : key;

    internal override string DisplayName(ModelConfig cfg) => "GPT-2";

    internal override EmbeddingPart Embeddings(CheckpointTensors t, ModelConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        var positions = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [StateDictKey.WPos] = t.Get("wpe.weight", cfg.NCtx, cfg.DModel) };
        return new EmbeddingPart(t.GetMatrix("wte.weight", cfg.DVocab, cfg.DModel), positions);
    }

    internal override UnembeddingPart Unembedding(CheckpointTensors t, ModelConfig cfg, string source)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel;
        var wte = t.GetMatrix("wte.weight", cfg.DVocab, d);
        // GPT-2 ties the unembedding to the token embedding; a stored lm_head must equal it.
        if (t.OptionalMatrix("lm_head.weight", cfg.DVocab, d) is { } head && !head.SameValuesAs(wte))
            throw new IclException($"{source}: lm_head.weight differs from wte.weight; only GPT-2 with tied embeddings is supported.");
        return UnembeddingPart.Of(wte, t.Get("ln_f.weight", d), t.Get("ln_f.bias", d));
    }

    internal override Dictionary<string, Tensor> Layer(CheckpointTensors t, ModelConfig cfg, int l)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel, h = cfg.NHeads, dh = cfg.DHead, m = cfg.DMlp;
        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        string p = $"h.{l}.";
        tl[StateDictKey.Ln1W(l)] = t.Get(p + "ln_1.weight", d);
        tl[StateDictKey.Ln1B(l)] = t.Get(p + "ln_1.bias", d);
        var qkv = t.Get(p + "attn.c_attn.weight", d, 3 * d).split(d, 1);           // 3 x [d_model, d_model]
        var qkvBias = t.Get(p + "attn.c_attn.bias", 3 * d).view(3, h, dh);          // [3, head, d_head]
        var keys = StateDictKey.Qkv(l);
        for (int i = 0; i < 3; i++)
        {
            tl[keys[i].Weight] = qkv[i].reshape(d, h, dh).permute(1, 0, 2).contiguous(); // [head, d_model, d_head]
            tl[keys[i].Bias] = qkvBias[i].contiguous();                                   // [head, d_head]
        }
        tl[StateDictKey.WO(l)] = t.Get(p + "attn.c_proj.weight", d, d).reshape(h, dh, d); // [head, d_head, d_model]
        tl[StateDictKey.BO(l)] = t.Get(p + "attn.c_proj.bias", d);
        tl[StateDictKey.Ln2W(l)] = t.Get(p + "ln_2.weight", d);
        tl[StateDictKey.Ln2B(l)] = t.Get(p + "ln_2.bias", d);
        tl[StateDictKey.WIn(l)] = t.Get(p + "mlp.c_fc.weight", d, m);
        tl[StateDictKey.BIn(l)] = t.Get(p + "mlp.c_fc.bias", m);
        tl[StateDictKey.WOut(l)] = t.Get(p + "mlp.c_proj.weight", m, d);
        tl[StateDictKey.BOut(l)] = t.Get(p + "mlp.c_proj.bias", d);
        return tl;
    }

    /// <summary>
    /// The inverse of <see cref="Embeddings"/>, <see cref="Layer"/> and <see cref="Unembedding"/> for raw (unprocessed) weights: TL-layout
    /// tensors to the state dict the hub's <c>gpt2</c> stores (Conv1D layout, keys without the
    /// <c>transformer.</c> prefix, no <c>lm_head</c>: the unembedding is the embedding's transpose).
    /// Throws when <c>unembed.W_U</c> is not exactly <c>embed.W_E</c> transposed or <c>b_U</c> is
    /// not zero: HF GPT-2 ties them, so anything else would not survive the round trip.
    /// </summary>
    public static Dictionary<string, Tensor> ToHuggingFace(IReadOnlyDictionary<string, Tensor> tl, ModelConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(tl);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel;
        Tensor Get(string key) => tl.TryGetValue(key, out var t) ? t
            : throw new IclException($"Writing a GPT-2 checkpoint needs the raw TransformerLens weight '{key}' " +
                "(processed weights fold LayerNorm and cannot be written as GPT-2); load the model with WeightProcessing.Raw.");
        var wte = Get(StateDictKey.WE);
        if (Get(StateDictKey.WU).ne(wte.t()).any().item<bool>() || Get(StateDictKey.BU).count_nonzero().item<long>() != 0)
            throw new IclException("Writing a GPT-2 checkpoint: unembed.W_U must be embed.W_E transposed and unembed.b_U zero " +
                "(GPT-2 ties its unembedding to the token embedding).");
        var hf = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["wte.weight"] = wte.contiguous(),
            ["wpe.weight"] = Get(StateDictKey.WPos).contiguous(),
        };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string p = $"h.{l}.";
            hf[p + "ln_1.weight"] = Get(StateDictKey.Ln1W(l));
            hf[p + "ln_1.bias"] = Get(StateDictKey.Ln1B(l));
            var keys = StateDictKey.Qkv(l);
            // [head, d_model, d_head] -> [d_model, head * d_head], the three side by side: [d_model, 3 * d_model]
            hf[p + "attn.c_attn.weight"] = cat(keys.Select(k => Get(k.Weight).permute(1, 0, 2).reshape(d, d)).ToArray(), 1).contiguous();
            hf[p + "attn.c_attn.bias"] = cat(keys.Select(k => Get(k.Bias).reshape(d)).ToArray(), 0).contiguous();
            hf[p + "attn.c_proj.weight"] = Get(StateDictKey.WO(l)).reshape(d, d).contiguous(); // [head, d_head, d_model] -> [d_model, d_model]
            hf[p + "attn.c_proj.bias"] = Get(StateDictKey.BO(l));
            hf[p + "ln_2.weight"] = Get(StateDictKey.Ln2W(l));
            hf[p + "ln_2.bias"] = Get(StateDictKey.Ln2B(l));
            hf[p + "mlp.c_fc.weight"] = Get(StateDictKey.WIn(l));
            hf[p + "mlp.c_fc.bias"] = Get(StateDictKey.BIn(l));
            hf[p + "mlp.c_proj.weight"] = Get(StateDictKey.WOut(l));
            hf[p + "mlp.c_proj.bias"] = Get(StateDictKey.BOut(l));
        }
        hf["ln_f.weight"] = Get(StateDictKey.LnFinalW);
        hf["ln_f.bias"] = Get(StateDictKey.LnFinalB);
        return hf;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// A Hugging Face <c>config.json</c> for a GPT-2 of <paramref name="cfg"/>'s sizes (GPT2LMHeadModel, gelu_new, HF's
    /// defaults otherwise).
    /// </summary>
    public static string ConfigJson(ModelConfig cfg, string torchDtype = "float32")
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "GPT2LMHeadModel" },
            ["model_type"] = "gpt2",
            ["activation_function"] = "gelu_new",
            ["n_layer"] = cfg.NLayers,
            ["n_head"] = cfg.NHeads,
            ["n_embd"] = cfg.DModel,
            ["n_inner"] = cfg.DMlp,
            ["n_positions"] = cfg.NCtx,
            ["n_ctx"] = cfg.NCtx,
            ["vocab_size"] = cfg.DVocab,
            ["layer_norm_epsilon"] = cfg.Eps,
            ["bos_token_id"] = Tokenization.Gpt2Tokenizer.EndOfText,
            ["eos_token_id"] = Tokenization.Gpt2Tokenizer.EndOfText,
            ["attn_pdrop"] = 0.0,
            ["embd_pdrop"] = 0.0,
            ["resid_pdrop"] = 0.0,
            ["initializer_range"] = 0.02,
            ["scale_attn_weights"] = true,
            ["tie_word_embeddings"] = true,
            ["torch_dtype"] = torchDtype,
        };
        return JsonSerializer.Serialize(config, Indented) + "\n";
    }
}
