using IclNotebook.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// Hugging Face GPT-2 checkpoint names and layout -> TransformerLens names and layout, once at
/// load time (TL's <c>convert_gpt2_weights</c>). HF stores attention as one Conv1D
/// <c>c_attn [d_model, 3*d_model]</c> (input dimension first).
/// </summary>
public static class Gpt2WeightConverter
{
    /// <summary>Checkpoint keys that are buffers, not weights (the causal mask), and are skipped.</summary>
    public static bool IsIgnoredBuffer(string key) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal);

    /// <summary>Strips the <c>transformer.</c> prefix some checkpoints (GPT2LMHeadModel) carry.</summary>
    public static string NormalizeKey(string key) =>
        key.StartsWith("transformer.", StringComparison.Ordinal) ? key["transformer.".Length..] : key;

    /// <param name="hf">Checkpoint tensors by normalised HF key (buffers already skipped).</param>
    /// <param name="cfg">The model's config; every shape is checked against it.</param>
    /// <param name="source">File name for error messages.</param>
    public static Dictionary<string, Tensor> ToTransformerLens(IReadOnlyDictionary<string, Tensor> hf, ModelConfig cfg, string source)
    {
        int d = cfg.DModel, h = cfg.NHeads, dh = cfg.DHead, m = cfg.DMlp;
        var used = new HashSet<string>(StringComparer.Ordinal);
        Tensor Get(string key, params long[] shape)
        {
            if (!hf.TryGetValue(key, out var t))
                throw new IclException($"{source}: tensor '{key}' is missing; this is not a complete GPT-2 checkpoint for {cfg.NLayers} layers.");
            if (!t.shape.SequenceEqual(shape))
                throw new IclException($"{source}: tensor '{key}' has shape [{string.Join(", ", t.shape)}], but config.json implies [{string.Join(", ", shape)}].");
            used.Add(key);
            return t;
        }

        var tl = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["embed.W_E"] = Get("wte.weight", cfg.DVocab, d),
            ["pos_embed.W_pos"] = Get("wpe.weight", cfg.NCtx, d),
        };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string p = $"h.{l}.", b = $"blocks.{l}.";
            tl[b + "ln1.w"] = Get(p + "ln_1.weight", d);
            tl[b + "ln1.b"] = Get(p + "ln_1.bias", d);
            var qkv = Get(p + "attn.c_attn.weight", d, 3 * d).split(d, 1);       // 3 x [d_model, d_model]
            var qkvBias = Get(p + "attn.c_attn.bias", 3 * d).view(3, h, dh);      // [3, head, d_head]
            string[] names = ["Q", "K", "V"];
            for (int i = 0; i < 3; i++)
            {
                tl[b + "attn.W_" + names[i]] = qkv[i].reshape(d, h, dh).permute(1, 0, 2).contiguous(); // [head, d_model, d_head]
                tl[b + "attn.b_" + names[i]] = qkvBias[i].contiguous();           // [head, d_head]
            }
            tl[b + "attn.W_O"] = Get(p + "attn.c_proj.weight", d, d).reshape(h, dh, d); // [head, d_head, d_model]
            tl[b + "attn.b_O"] = Get(p + "attn.c_proj.bias", d);
            tl[b + "ln2.w"] = Get(p + "ln_2.weight", d);
            tl[b + "ln2.b"] = Get(p + "ln_2.bias", d);
            tl[b + "mlp.W_in"] = Get(p + "mlp.c_fc.weight", d, m);
            tl[b + "mlp.b_in"] = Get(p + "mlp.c_fc.bias", m);
            tl[b + "mlp.W_out"] = Get(p + "mlp.c_proj.weight", m, d);
            tl[b + "mlp.b_out"] = Get(p + "mlp.c_proj.bias", d);
        }
        tl["ln_final.w"] = Get("ln_f.weight", d);
        tl["ln_final.b"] = Get("ln_f.bias", d);
        // GPT-2 ties the unembedding to the token embedding; a stored lm_head must equal it.
        var wte = tl["embed.W_E"];
        if (hf.TryGetValue("lm_head.weight", out var head))
        {
            used.Add("lm_head.weight");
            if (!head.shape.SequenceEqual(wte.shape) || !head.allclose(wte, rtol: 0, atol: 0))
                throw new IclException($"{source}: lm_head.weight differs from wte.weight; only GPT-2 with tied embeddings is supported.");
        }
        tl["unembed.W_U"] = wte.t().contiguous();                                // [d_model, d_vocab]
        tl["unembed.b_U"] = zeros(cfg.DVocab, dtype: wte.dtype, device: wte.device);

        var unknown = hf.Keys.Where(k => !used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new IclException($"{source}: unexpected tensors {string.Join(", ", unknown.Take(5))}; this does not look like a GPT-2 checkpoint.");
        return tl;
    }
}
