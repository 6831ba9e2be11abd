using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// GPT-NeoX / Pythia (<c>model_type</c> gpt_neox): partial rotary (<c>rotary_pct</c>), parallel
/// attention and MLP, LayerNorm, exact gelu, untied <c>embed_out</c>. The fused
/// <c>query_key_value [3 d_model, d_model]</c> has its rows ordered (head, q/k/v, d_head); TL's
/// <c>convert_neox_weights</c>.
/// </summary>
public sealed class NeoxFamily : ModelFamily
{
    public override IReadOnlyList<string> ModelTypes { get; } = ["gpt_neox"];

    public override ModelConfig ReadConfig(JsonElement root, string path, string name)
    {
        int d = Int(root, "hidden_size", path), heads = Int(root, "num_attention_heads", path);
        if (d % heads != 0) throw new IclException($"{path}: hidden_size {d} is not divisible by num_attention_heads {heads}.");
        int dHead = d / heads;
        double pct = Number(root, "rotary_pct") ?? 1.0;
        return new ModelConfig(name, Int(root, "num_hidden_layers", path), d, heads, dHead, Int(root, "intermediate_size", path),
            Int(root, "vocab_size", path), Int(root, "max_position_embeddings", path), Number(root, "layer_norm_eps") ?? 1e-5)
        {
            ModelType = "gpt_neox",
            Positional = PositionalEmbeddingType.Rotary,
            RotaryDim = (int)Math.Round(pct * dHead, MidpointRounding.ToEven), // Python's round, as TL
            RotaryBase = Number(root, "rotary_emb_base") ?? 10000,
            ParallelAttnMlp = Bool(root, "use_parallel_residual") ?? true,
            ActFn = Str(root, "hidden_act") ?? "gelu",
        };
    }

    public override bool IsIgnoredBuffer(string key) =>
        key.EndsWith(".attention.bias", StringComparison.Ordinal) || key.EndsWith(".attention.masked_bias", StringComparison.Ordinal)
        || key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    public override string NormalizeKey(string key) =>
        key.StartsWith("gpt_neox.", StringComparison.Ordinal) ? key["gpt_neox.".Length..] : key;

    internal override string DisplayName(ModelConfig cfg) => "GPT-NeoX";

    internal override EmbeddingPart Embeddings(CheckpointTensors t, ModelConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        return new EmbeddingPart(t.GetMatrix("embed_in.weight", cfg.DVocab, cfg.DModel), []);
    }

    internal override UnembeddingPart Unembedding(CheckpointTensors t, ModelConfig cfg, string source)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel;
        return UnembeddingPart.Of(t.GetMatrix("embed_out.weight", cfg.DVocab, d), t.Get("final_layer_norm.weight", d),
            t.Get("final_layer_norm.bias", d));
    }

    internal override Dictionary<string, Tensor> Layer(CheckpointTensors t, ModelConfig cfg, int l)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(cfg);
        int d = cfg.DModel, h = cfg.NHeads, dh = cfg.DHead, m = cfg.DMlp;
        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        string p = $"layers.{l}.";
        tl[StateDictKey.Ln1W(l)] = t.Get(p + "input_layernorm.weight", d);
        tl[StateDictKey.Ln1B(l)] = t.Get(p + "input_layernorm.bias", d);
        var qkv = t.Get(p + "attention.query_key_value.weight", 3 * d, d).view(h, 3, dh, d);  // rows (head, q/k/v, d_head)
        var qkvBias = t.Get(p + "attention.query_key_value.bias", 3 * d).view(h, 3, dh);
        var keys = StateDictKey.Qkv(l);
        for (int i = 0; i < 3; i++)
        {
            tl[keys[i].Weight] = qkv[.., i].transpose(1, 2).contiguous();                      // [head, d_model, d_head]
            tl[keys[i].Bias] = qkvBias[.., i].contiguous();                                     // [head, d_head]
        }
        // [head, d_head, d_model]
        tl[StateDictKey.WO(l)] = t.Get(p + "attention.dense.weight", d, d).view(d, h, dh).permute(1, 2, 0).contiguous();
        tl[StateDictKey.BO(l)] = t.Get(p + "attention.dense.bias", d);
        tl[StateDictKey.Ln2W(l)] = t.Get(p + "post_attention_layernorm.weight", d);
        tl[StateDictKey.Ln2B(l)] = t.Get(p + "post_attention_layernorm.bias", d);
        tl[StateDictKey.WIn(l)] = t.Get(p + "mlp.dense_h_to_4h.weight", m, d).t().contiguous();   // [d_model, d_mlp]
        tl[StateDictKey.BIn(l)] = t.Get(p + "mlp.dense_h_to_4h.bias", m);
        tl[StateDictKey.WOut(l)] = t.Get(p + "mlp.dense_4h_to_h.weight", d, m).t().contiguous();  // [d_mlp, d_model]
        tl[StateDictKey.BOut(l)] = t.Get(p + "mlp.dense_4h_to_h.bias", d);
        return tl;
    }
}
