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
public sealed record ZeroShotResult(int Layer, double AccuracyWithout, double AccuracyWith, double ProbabilityWithout, double ProbabilityWith)
{
    /// <summary>
    /// Exact match of the generated answer (<see cref="Generation.GeneratedAnswer"/>) without the vector, with its 95 % interval over the
    /// prompts; null when not evaluated.
    /// </summary>
    public Statistics.Interval? ExactWithout { get; init; }

    /// <summary>Exact match of the answer generated with the vector added at the prompt's last token and every generated token.</summary>
    public Statistics.Interval? ExactWith { get; init; }
}

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

    /// <summary>
    /// The paper's evaluation by generation: each zero-shot prompt answered greedily (stopping at a line break, at most the
    /// longest expected answer's tokens + 2), without the vector and with it added to <c>hook_resid_post</c> of each layer
    /// at the prompt's last token and at every generated token (Todd et al. add it to the last token of each forward).
    /// </summary>
    /// <returns>The answers without the vector, and with it at each of <paramref name="layers"/>.</returns>
    public static (IReadOnlyList<Generation.Completion> Without, IReadOnlyList<IReadOnlyList<Generation.Completion>> With) Generated(
        HookedTransformer model, IReadOnlyList<string> prompts, IReadOnlyList<string> expected, FunctionVector vector, IReadOnlyList<int> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(vector);
        int maxNew = Generation.GeneratedAnswer.TokenBudget(prompts.Select((p, i) => model.Tokenizer.AnswerTokens(p, expected[i]).Length));
        var options = new Generation.GenerationOptions { MaxNewTokens = maxNew, StopStrings = [Generation.GeneratedAnswer.LineBreak] };
        var without = model.Generate(prompts, options);
        using var fv = vector.ToTensor(model.ModelDevice);
        var with = layers.Select(l =>
        {
            using var steer = Generation.Steering.Steer(model, HookName.ResidPost(l), fv, Generation.SteeringPositions.PromptEndAndGenerated);
            return model.Generate(prompts, options);
        }).ToArray();
        return (without, with);
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
