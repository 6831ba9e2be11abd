using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// Zero-shot accuracy at one layer: without and with the function vector added to that layer's
/// <c>hook_resid_post</c> at the last token.
/// </summary>
/// <param name="Layer">The layer whose resid_post the vector was added to.</param>
/// <param name="AccuracyWithout">Top-1 accuracy of the plain zero-shot prompts.</param>
/// <param name="AccuracyWith">Top-1 accuracy with the vector added.</param>
/// <param name="ProbabilityWithout">Mean P(answer) without the vector.</param>
/// <param name="ProbabilityWith">Mean P(answer) with it.</param>
public sealed record ZeroShotResult(int Layer, double AccuracyWithout, double AccuracyWith, double ProbabilityWithout, double ProbabilityWith);

/// <summary>The zero-shot test of a function vector: the query template alone, no demonstrations.</summary>
public static class ZeroShot
{
    /// <summary>
    /// Per layer (<paramref name="layers"/>), one batched forward of the zero-shot prompts with the vector added
    /// at their last tokens.
    /// </summary>
    public static IReadOnlyList<ZeroShotResult> Evaluate(HookedTransformer model, TokenBatch prompts, IReadOnlyList<int> answers,
            FunctionVector vector, IReadOnlyList<int> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(vector);
        foreach (var l in layers)
            if (l < 0 || l >= model.Config.NLayers)
                throw new IclException($"The function vector's layer {l} is outside 0..{model.Config.NLayers - 1}.");
        using var scope = NewDisposeScope();
        using var tokens = prompts.ToTensor(model.ModelDevice);
        var read = tensor(prompts.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
        var (accWithout, pWithout) = Score(model.Run(tokens, new ForwardOptions { UnembedPositions = read }), answers);
        var fv = vector.ToTensor(model.ModelDevice);
        var rows = arange(prompts.Count, device: model.ModelDevice);
        var results = new List<ZeroShotResult>();
        foreach (var l in layers)
        {
            using var layerScope = NewDisposeScope();
            Tensor? Add(Tensor act, HookPoint _)
            {
                var patched = act.clone();                                                       // [batch, pos, d_model]
                var added = patched.index([TensorIndex.Tensor(rows), TensorIndex.Tensor(read)]).Plus(fv);     // [batch, d_model]
                patched.index_put_(added, TensorIndex.Tensor(rows), TensorIndex.Tensor(read));
                return patched;
            }
            Tensor logits;
            using (model.Hooks((HookName.ResidPost(l), Add)))
                logits = model.Run(tokens, new ForwardOptions { UnembedPositions = read });       // [batch, d_vocab]
            var (acc, p) = Score(logits, answers);
            results.Add(new ZeroShotResult(l, accWithout, acc, pWithout, p));
        }
        return results;
    }

    private static (double Accuracy, double Probability) Score(Tensor logits, IReadOnlyList<int> answers)
    {
        var top = logits.argmax(-1).cpu().data<long>().ToArray();
        var probs = logits.softmax(-1).to(ScalarType.Float64).cpu();
        double acc = answers.Select((a, b) => top[b] == a ? 1.0 : 0.0).Average();
        double p = answers.Select((a, b) => probs[b, a].item<double>()).Average();
        return (acc, p);
    }
}
