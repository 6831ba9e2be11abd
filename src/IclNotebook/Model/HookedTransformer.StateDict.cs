using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Model;

public sealed partial class HookedTransformer
{
    /// <summary>Weight names (TL state-dict keys) and shapes this model expects.</summary>
    public IReadOnlyDictionary<string, long[]> ExpectedWeights =>
        named_parameters().ToDictionary(p => p.name, p => p.parameter.shape, StringComparer.Ordinal);

    /// <summary>
    /// Copies a TransformerLens-layout state dict into the model. Strict: every expected key must
    /// be present with its exact shape, and no other key may appear. Not for a model that shares its embedding
    /// (<see cref="ModelConfig.SharesEmbedding"/>): its unembedding is made by the loader.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (Config.SharesEmbedding)
            throw new IclException($"{source}: {Config.Name} shares its token embedding with the unembedding (a tied RMSNorm model, " +
                "ModelConfig.TiedEmbeddings), which a TransformerLens state dict with its own W_U cannot fill: load the checkpoint " +
                "folder with ModelLoader, or build the config with TiedEmbeddings = false to hold W_U as TL does.");
        var expected = ExpectedWeights;
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new IclException($"{source}: weights missing for {string.Join(", ", missing.Take(5))}" +
                $"{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}.");
        LoadWeights(weights, source, new HashSet<string>(StringComparer.Ordinal));
    }

    /// <summary>
    /// Copies part of a TL state dict (a block's weights, say) into the model's own storage, converting to its dtype;
    /// each key must be one the model expects, with its exact shape, and not loaded before (recorded in <paramref name="loaded"/>).
    /// </summary>
    internal void LoadWeights(IReadOnlyDictionary<string, Tensor> part, string source, HashSet<string> loaded)
    {
        var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var extra = part.Keys.Where(k => !parameters.ContainsKey(k)).ToList();
        if (extra.Count > 0)
            throw new IclException($"{source}: unexpected weights {string.Join(", ", extra.Take(5))} (processing {Processing}).");
        using var noGrad = no_grad();
        foreach (var (name, w) in part)
        {
            var parameter = parameters[name];
            if (!w.shape.SequenceEqual(parameter.shape))
                throw new IclException($"{source}: weight '{name}' has shape [{string.Join(", ", w.shape)}], " +
                    $"expected [{string.Join(", ", parameter.shape)}] for this config.");
            if (!loaded.Add(name)) throw new InvalidOperationException($"{source}: weight '{name}' given twice.");
            parameter.copy_(w);
        }
    }

    /// <summary>
    /// The model's own storage for weight <paramref name="key"/>, for a loader that fills it a block at a time (recorded in
    /// <paramref name="loaded"/>, like a weight <see cref="LoadWeights"/> copied in).
    /// </summary>
    internal Tensor WeightToFill(string key, HashSet<string> loaded)
    {
        var parameter = named_parameters().FirstOrDefault(p => p.name == key).parameter
            ?? throw new InvalidOperationException($"The model has no weight '{key}'.");
        if (!loaded.Add(key)) throw new InvalidOperationException($"Weight '{key}' given twice.");
        return parameter;
    }
}
