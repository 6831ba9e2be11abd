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
    /// be present with its exact shape, and no other key may appear.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var expected = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new IclException($"{source}: weights missing for {string.Join(", ", missing.Take(5))}" +
                $"{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}.");
        var extra = weights.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (extra.Count > 0)
            throw new IclException($"{source}: unexpected weights {string.Join(", ", extra.Take(5))} (processing {Processing}).");
        using var noGrad = no_grad();
        foreach (var (name, parameter) in expected)
        {
            var w = weights[name];
            if (!w.shape.SequenceEqual(parameter.shape))
                throw new IclException($"{source}: weight '{name}' has shape [{string.Join(", ", w.shape)}], " +
                    $"expected [{string.Join(", ", parameter.shape)}] for this config.");
            parameter.copy_(w);
        }
    }
}
