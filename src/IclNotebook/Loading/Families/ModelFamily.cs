using System.Text.Json;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// One Hugging Face <c>model_type</c>'s loading, in one place: its <c>config.json</c> read into a
/// <see cref="ModelConfig"/> (TL's <c>convert_hf_model_config</c>), the checkpoint buffers to skip,
/// and its state dict converted to TransformerLens's names and layout (TL's <c>convert_*_weights</c>).
/// A family is a config plus this adapter, never a copy of the model.
/// </summary>
public abstract class ModelFamily
{
    /// <summary>The <c>model_type</c> values this family reads.</summary>
    public abstract IReadOnlyList<string> ModelTypes { get; }

    /// <summary>The config of a model of this family; <paramref name="path"/> names config.json in errors.</summary>
    public abstract ModelConfig ReadConfig(JsonElement root, string path, string name);

    /// <summary>Checkpoint entries that are buffers (masks, cached frequencies), not weights.</summary>
    public abstract bool IsIgnoredBuffer(string key);

    /// <summary>The checkpoint key without the prefix its model class adds (<c>transformer.</c>, <c>model.</c>, <c>gpt_neox.</c>).</summary>
    public abstract string NormalizeKey(string key);

    /// <summary>
    /// The first part of a model (it loads part by part: embeddings, each block, unembedding): the token embedding and
    /// TL's other embedding tensors, from the checkpoint's tensors by normalised key (buffers skipped), every shape checked.
    /// </summary>
    internal abstract EmbeddingPart Embeddings(CheckpointTensors t, ModelConfig cfg);

    /// <summary>
    /// The last part: the unembedding as stored, TL's final norm and <c>b_U</c>. <paramref name="source"/> names the
    /// checkpoint in errors.
    /// </summary>
    internal abstract UnembeddingPart Unembedding(CheckpointTensors t, ModelConfig cfg, string source);

    /// <summary>TL's tensors of block <paramref name="layer"/>, every shape checked (a model loads one block at a time).</summary>
    internal abstract Dictionary<string, Tensor> Layer(CheckpointTensors t, ModelConfig cfg, int layer);

    /// <summary>The name errors give the family ("GPT-2", "GPT-NeoX", the model_type otherwise).</summary>
    internal virtual string DisplayName(ModelConfig cfg) => cfg.ModelType;

    private protected static string? Str(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private protected static bool? Bool(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;

    private protected static double? Number(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private protected static int Int(JsonElement root, string key, string path)
    {
        if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0) return i;
        throw new IclException($"{path}: '{key}' is missing or not a positive integer.");
    }

    /// <summary>
    /// Hugging Face's <c>layer_types</c> as which layers slide ("sliding_attention" / "full_attention", one per layer), or
    /// null where the config has none (the family then applies its own default).
    /// </summary>
    private protected static bool[]? SlidingLayerTypes(JsonElement root, int layers, string path)
    {
        if (!root.TryGetProperty("layer_types", out var types) || types.ValueKind == JsonValueKind.Null) return null;
        var kinds = types.ValueKind == JsonValueKind.Array
            ? types.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString() : null).ToArray() : [];
        if (kinds.Length != layers || kinds.Any(k => k is not ("sliding_attention" or "full_attention")))
            throw new IclException($"{path}: 'layer_types' must list \"sliding_attention\" or \"full_attention\" for each of the {layers} " +
                $"layers; got {types.GetRawText()}.");
        return kinds.Select(k => k == "sliding_attention").ToArray();
    }

    private protected static int? OptionalInt(JsonElement root, string key, string path) =>
        root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? Int(root, key, path) : null;
}
