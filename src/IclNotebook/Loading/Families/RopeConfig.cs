using System.Globalization;
using System.Text.Json;
using IclNotebook.Model;

namespace IclNotebook.Loading.Families;

/// <summary>
/// A rotary model's base and scaling as config.json gives them: <c>rope_theta</c> and <c>rope_scaling</c> (transformers up
/// to 4.x), or one <c>rope_parameters</c> object holding both (transformers 5). Types other than none, <c>default</c>,
/// <c>llama3</c> and <c>linear</c> are refused naming the type and what is supported.
/// </summary>
internal static class RopeConfig
{
    /// <returns>the base (null when the config gives none) and the scaling (null for none)</returns>
    public static (double? Theta, RopeScaling? Scaling) Read(JsonElement root, string path)
    {
        bool parameters = root.TryGetProperty("rope_parameters", out var rope) && rope.ValueKind == JsonValueKind.Object;
        double? theta = parameters && rope.TryGetProperty("rope_theta", out var t) ? Number(t, path, "rope_parameters.rope_theta")
            : root.TryGetProperty("rope_theta", out var top) && top.ValueKind != JsonValueKind.Null ? Number(top, path, "rope_theta") : null;
        string field = parameters ? "rope_parameters" : "rope_scaling";
        if (!parameters && !(root.TryGetProperty("rope_scaling", out rope) && rope.ValueKind == JsonValueKind.Object))
            return (theta, null);
        bool perLayerType = Text(rope, "rope_type") is null && Text(rope, "type") is null
            && rope.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object);
        if (parameters && perLayerType)
            throw new IclException($"{path}: rope_parameters per layer type ({rope.GetRawText()}) are not supported for this model_type.");
        return (theta, Scaling(rope, path, field));
    }

    /// <summary>
    /// transformers 5's <c>rope_parameters</c> for one layer type (Gemma 3: "full_attention", "sliding_attention"), or null
    /// when the config has none such (it then says what transformers 4 did in <c>rope_theta</c>, <c>rope_scaling</c>, ...).
    /// </summary>
    public static (double? Theta, RopeScaling? Scaling)? ReadLayerType(JsonElement root, string path, string layerType)
    {
        if (!(root.TryGetProperty("rope_parameters", out var all) && all.ValueKind == JsonValueKind.Object
            && all.TryGetProperty(layerType, out var rope) && rope.ValueKind == JsonValueKind.Object))
            return null;
        string field = $"rope_parameters.{layerType}";
        double? theta = rope.TryGetProperty("rope_theta", out var t) ? Number(t, path, field + ".rope_theta") : null;
        return (theta, Scaling(rope, path, field));
    }

    /// <summary>The scaling a rope_scaling / rope_parameters object describes (null for none or default).</summary>
    private static RopeScaling? Scaling(JsonElement rope, string path, string field)
    {
        string? type = Text(rope, "rope_type") ?? Text(rope, "type");
        return type switch
        {
            null or "default" => null,
            "linear" => new RopeScaling(RopeScalingType.Linear, Required(rope, "factor", path, field)),
            "llama3" => new RopeScaling(RopeScalingType.Llama3, Required(rope, "factor", path, field),
                Required(rope, "low_freq_factor", path, field), Required(rope, "high_freq_factor", path, field),
                (int)Required(rope, "original_max_position_embeddings", path, field)),
            "longrope" or "su" => throw new IclException($"{path}: {field} type '{type}' is not supported: it is Phi-3's long-context " +
                "scaling (per-frequency short and long factors that switch at original_max_position_embeddings, and a larger attention " +
                "scale), which is not implemented. Phi-3's 4k-context models (rope_scaling null) load; supported: llama3, linear, default."),
            _ => throw new IclException($"{path}: {field} type '{type}' is not supported; supported: llama3, linear, default " +
                "(or none). Its frequencies would differ from the model's, so it is not loaded approximately."),
        };
    }

    private static string? Text(JsonElement o, string key) =>
        o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double Required(JsonElement o, string key, string path, string field) =>
        o.TryGetProperty(key, out var v) ? Number(v, path, $"{field}.{key}")
            : throw new IclException($"{path}: {field} ({o.GetRawText()}) has no '{key}'.");

    private static double Number(JsonElement v, string path, string what) =>
        v.ValueKind == JsonValueKind.Number && v.GetDouble() is var x && double.IsFinite(x) && x > 0 ? x
            : throw new IclException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {what} must be a positive number, not {v.GetRawText()}."));
}
