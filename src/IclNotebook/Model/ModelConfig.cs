using System.Text.Json;

namespace IclNotebook.Model;

/// <summary>Architecture hyper-parameters of a GPT-2 model, in TransformerLens's vocabulary.</summary>
/// <param name="Name">Model name or folder it was loaded from.</param>
/// <param name="NLayers">Transformer blocks.</param>
/// <param name="DModel">Residual stream width.</param>
/// <param name="NHeads">Attention heads per layer.</param>
/// <param name="DHead">Width of one head (DModel / NHeads for GPT-2).</param>
/// <param name="DMlp">MLP hidden width (4 x DModel unless n_inner says otherwise).</param>
/// <param name="DVocab">Vocabulary size.</param>
/// <param name="NCtx">Maximum context length (learned positions).</param>
/// <param name="Eps">LayerNorm epsilon.</param>
public sealed record ModelConfig(
    string Name, int NLayers, int DModel, int NHeads, int DHead, int DMlp, int DVocab, int NCtx, double Eps)
{
    /// <summary>Attention scores are divided by this (TL's attn_scale = sqrt(d_head)).</summary>
    public double AttnScale => Math.Sqrt(DHead);

    /// <summary>Reads a Hugging Face GPT-2 <c>config.json</c>; anything that is not GPT-2 is refused.</summary>
    public static ModelConfig FromHuggingFaceJson(string path, string name)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new IclException($"{path}: not valid JSON ({e.Message}). Re-download the model or fix the file."); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new IclException($"{path}: expected a JSON object.");
            string modelType = Str(root, "model_type") ?? "(missing)";
            var archs = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Select(e => e.GetString() ?? "").ToArray() : [];
            if (modelType != "gpt2" || archs.Any(x => x is not ("GPT2LMHeadModel" or "GPT2Model")))
                throw new IclException($"{path}: unsupported architecture (model_type '{modelType}', architectures [{string.Join(", ", archs)}]). Only GPT-2 models (model_type 'gpt2', GPT2LMHeadModel) are supported.");
            string act = Str(root, "activation_function") ?? "gelu_new";
            if (act != "gelu_new")
                throw new IclException($"{path}: activation_function '{act}' is not supported; GPT-2 models use 'gelu_new'.");
            if (Bool(root, "scale_attn_by_inverse_layer_idx") || Bool(root, "reorder_and_upcast_attn"))
                throw new IclException($"{path}: scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported.");
            int d = Int(root, "n_embd", path), heads = Int(root, "n_head", path);
            if (d % heads != 0) throw new IclException($"{path}: n_embd {d} is not divisible by n_head {heads}.");
            int dMlp = root.TryGetProperty("n_inner", out var inner) && inner.ValueKind == JsonValueKind.Number ? inner.GetInt32() : 4 * d;
            double eps = root.TryGetProperty("layer_norm_epsilon", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : 1e-5;
            return new ModelConfig(name, Int(root, "n_layer", path), d, heads, d / heads, dMlp,
                Int(root, "vocab_size", path), Int(root, "n_positions", path), eps);
        }
    }

    private static string? Str(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;

    private static int Int(JsonElement root, string key, string path)
    {
        if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0) return i;
        throw new IclException($"{path}: '{key}' is missing or not a positive integer.");
    }
}
