using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// GPT-J (<c>model_type</c> gptj; EleutherAI/gpt-j-6b, Function Vectors' default model): attention and MLP in parallel from
/// one LayerNorm (<c>ln_1</c>; TL stores it again as <c>ln2</c>, so the parallel block's second norm is the same norm),
/// rotary on the first <c>rotary_dim</c> dimensions of each head rotating adjacent pairs, q/k/v/out projections without
/// biases, a biased MLP and a biased, untied <c>lm_head</c> (TL's <c>b_U</c>). TL's <c>convert_gptj_weights</c>; where TL
/// hard-codes what the config says (eps 1e-5, d_mlp 4 d_model), the config is read as Hugging Face reads it.
/// </summary>
public sealed class GptjFamily : ModelFamily
{
    public override IReadOnlyList<string> ModelTypes { get; } = ["gptj"];

    public override ModelConfig ReadConfig(JsonElement root, string path, string name)
    {
        int d = Int(root, "n_embd", path), heads = Int(root, "n_head", path);
        if (d % heads != 0) throw new IclException($"{path}: n_embd {d} is not divisible by n_head {heads}.");
        int dHead = d / heads;
        if (root.TryGetProperty("rotary_dim", out var r) && r.ValueKind == JsonValueKind.Null)
            throw new IclException($"{path}: rotary_dim is null; GPT-J rotates the first rotary_dim dimensions of each head " +
                "(Hugging Face's default is 64): set it to a number.");
        int rotaryDim = OptionalInt(root, "rotary_dim", path) ?? 64;                // GPTJConfig's default
        if (rotaryDim > dHead || rotaryDim % 2 != 0)
            throw new IclException($"{path}: rotary_dim {rotaryDim} must be even and at most the head size {dHead}.");
        return new ModelConfig(name, Int(root, "n_layer", path), d, heads, dHead, OptionalInt(root, "n_inner", path) ?? 4 * d,
            Int(root, "vocab_size", path), Int(root, "n_positions", path), Number(root, "layer_norm_epsilon") ?? 1e-5)
        {
            ModelType = "gptj",
            Positional = PositionalEmbeddingType.Rotary,
            RotaryDim = rotaryDim,
            RotaryAdjacentPairs = true,
            ParallelAttnMlp = true,
            ActFn = Str(root, "activation_function") ?? "gelu_new",
            TiedEmbeddings = Bool(root, "tie_word_embeddings") == true,
        };
    }

    public override bool IsIgnoredBuffer(string key) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    public override string NormalizeKey(string key) =>
        key.StartsWith("transformer.", StringComparison.Ordinal) ? key["transformer.".Length..] : key;

    internal override string DisplayName(ModelConfig cfg) => "GPT-J";

    internal override EmbeddingPart Embeddings(CheckpointTensors t, ModelConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        return new EmbeddingPart(t.GetMatrix("wte.weight", cfg.DVocab, cfg.DModel), []);
    }

    internal override UnembeddingPart Unembedding(CheckpointTensors t, ModelConfig cfg, string source)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel, vocab = cfg.DVocab;
        var lmHead = t.OptionalMatrix("lm_head.weight", vocab, d);                               // tied (not GPT-J's own): wte
        var head = cfg.TiedEmbeddings || lmHead is null ? t.GetMatrix("wte.weight", vocab, d) : lmHead;
        return UnembeddingPart.Of(head, t.Get("ln_f.weight", d), t.Get("ln_f.bias", d), t.Optional("lm_head.bias", vocab)); // GPT-J's head has a bias
    }

    internal override Dictionary<string, Tensor> Layer(CheckpointTensors t, ModelConfig cfg, int l)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel, h = cfg.NHeads, dh = cfg.DHead, m = cfg.DMlp;
        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        string p = $"h.{l}.";
        var lnW = t.Get(p + "ln_1.weight", d);
        var lnB = t.Get(p + "ln_1.bias", d);
        (tl[StateDictKey.Ln1W(l)], tl[StateDictKey.Ln1B(l)]) = (lnW, lnB);
        (tl[StateDictKey.Ln2W(l)], tl[StateDictKey.Ln2B(l)]) = (lnW.clone(), lnB.clone());    // one norm, TL's two copies
        var keys = StateDictKey.Qkv(l);
        for (int i = 0; i < 3; i++)
        {
            // [head, d_model, d_head]
            tl[keys[i].Weight] = t.Get($"{p}attn.{"qkv"[i]}_proj.weight", d, d).view(h, dh, d).permute(0, 2, 1).contiguous();
            tl[keys[i].Bias] = zeros(h, dh);
        }
        // [head, d_head, d_model]
        tl[StateDictKey.WO(l)] = t.Get(p + "attn.out_proj.weight", d, d).view(d, h, dh).permute(1, 2, 0).contiguous();
        tl[StateDictKey.BO(l)] = zeros(d);
        tl[StateDictKey.WIn(l)] = t.Get(p + "mlp.fc_in.weight", m, d).t().contiguous();        // [d_model, d_mlp]
        tl[StateDictKey.BIn(l)] = t.Get(p + "mlp.fc_in.bias", m);
        tl[StateDictKey.WOut(l)] = t.Get(p + "mlp.fc_out.weight", d, m).t().contiguous();      // [d_mlp, d_model]
        tl[StateDictKey.BOut(l)] = t.Get(p + "mlp.fc_out.bias", d);
        return tl;
    }
}
