using System.Text.Json;
using IclNotebook.Model;

namespace IclNotebook.Loading.Families;

/// <summary>The supported Hugging Face model types and their adapters; reading a config.json picks the family.</summary>
public static class ModelFamilies
{
    private static readonly ModelFamily[] All = [new Gpt2Family(), new NeoxFamily(), new GptjFamily(), new LlamaFamily(), new GemmaFamily()];

    /// <summary>Every supported <c>model_type</c>.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = All.SelectMany(f => f.ModelTypes).ToArray();

    /// <summary>The family of a <c>model_type</c>; an unsupported one lists the supported ones.</summary>
    public static ModelFamily For(string modelType, string path) =>
        All.FirstOrDefault(f => f.ModelTypes.Contains(modelType, StringComparer.Ordinal))
        ?? throw new IclException($"{path}: unsupported architecture (model_type '{modelType}'). " +
            $"Supported model types: {string.Join(", ", ModelTypes)}.");

    /// <summary>Reads a Hugging Face <c>config.json</c> into a config and the family that loads its checkpoint.</summary>
    public static (ModelConfig Config, ModelFamily Family) ReadConfig(string path, string name)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new IclException($"{path}: not valid JSON ({e.Message}). Re-download the model or fix the file."); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new IclException($"{path}: expected a JSON object.");
            string modelType = root.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(missing)";
            var family = For(modelType, path);
            return (family.ReadConfig(root, path, name), family);
        }
    }
}
