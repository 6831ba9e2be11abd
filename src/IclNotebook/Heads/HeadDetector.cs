using System.Globalization;
using IclNotebook.Patterns;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Heads;

/// <summary>
/// TransformerLens's head detector (<c>transformer_lens.head_detector.detect_head</c>, v2.12): how
/// closely each head's attention on a token sequence follows a detection pattern
/// (<see cref="DetectionPatterns"/>), for every head of every layer, from one forward pass.
/// </summary>
public static class HeadDetector
{
    /// <summary>
    /// TL's <c>detect_head(model, seq, pattern, exclude_bos=..., exclude_current_token=...,
    /// error_measure=...)</c> on token ids (pass the BOS yourself: TL's <c>to_tokens</c> prepends it).
    /// </summary>
    public static HeadScores DetectHead(HookedTransformer model, IReadOnlyList<int> tokens, HeadPattern pattern,
            HeadDetectorOptions? options = null) =>
        DetectHeads(model, tokens, [pattern], options)[0];

    /// <summary>
    /// Several patterns from one forward pass, in the order given. <paramref name="cache"/>: the
    /// sequence's attention patterns if already run (TL's <c>cache</c> argument), else they are computed.
    /// </summary>
    public static IReadOnlyList<HeadScores> DetectHeads(HookedTransformer model, IReadOnlyList<int> tokens, IReadOnlyList<HeadPattern> patterns,
            HeadDetectorOptions? options = null, ActivationCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var named = patterns.Select(p => (p.Name(), DetectionPatterns.For(p, tokens))).ToList();
        return Detect(model, tokens, named, options ?? HeadDetectorOptions.Default, cache);
    }

    /// <summary>A custom detection pattern [dest, src] (lower triangular, the sequence's length on both axes), TL's tensor argument.</summary>
    public static HeadScores DetectHead(HookedTransformer model, IReadOnlyList<int> tokens, double[,] detectionPattern,
            HeadDetectorOptions? options = null, string name = "custom") =>
        Detect(model, tokens, [(name, detectionPattern)], options ?? HeadDetectorOptions.Default)[0];

    private static List<HeadScores> Detect(HookedTransformer model, IReadOnlyList<int> tokens,
            IReadOnlyList<(string Name, double[,] Pattern)> patterns, HeadDetectorOptions options, ActivationCache? given = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        int n = tokens.Count;
        if (n < 2 || n >= model.Config.NCtx)
            throw new IclException($"The head detector needs a sequence of 2..{model.Config.NCtx - 1} tokens " +
                $"(more than one, and shorter than {model.Config.Name}'s context, as TL asserts); got {n}.");
        foreach (var (name, p) in patterns) CheckPattern(name, p, n, options);

        using var scope = NewDisposeScope();
        using var own = given is null ? AttentionPatterns.Of(model, tokens) : null;
        var cache = given ?? own!;
        var results = new List<HeadScores>();
        foreach (var (name, pattern) in patterns)
        {
            var p = tensor(Flatten(pattern), [n, n], dtype: float32, device: model.ModelDevice);  // [dest, src]
            var rows = new List<IReadOnlyList<double>>();
            for (int l = 0; l < model.Config.NLayers; l++)
            {
                var a = cache[HookName.Pattern(l)][0].to(float32);                                 // [head, dest, src]
                rows.Add(Score(a, p, options));
            }
            results.Add(new HeadScores
            {
                Name = name,
                Options = options.ToString(),
                Definition = Definition(options),
                Values = rows,
                Tokens = tokens.ToArray(),
            });
        }
        return results;
    }

    /// <summary>One layer's scores, as TL's <c>compute_head_attention_similarity_score</c> computes each head's.</summary>
    private static double[] Score(Tensor a, Tensor p, HeadDetectorOptions options)
    {
        int n = (int)p.shape[0];
        var mask = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                mask[i * n + j] = (options.ExcludeBos && j == 0) || (options.ExcludeCurrentToken && i == j) ? 0f : 1f;
        var keep = tensor(mask, [n, n], device: a.device);                                        // [dest, src]: 0 where TL zeroes the pattern
        if (options.ErrorMeasure == ErrorMeasure.Mul)
        {
            var kept = a.mul(keep);                                                               // [head, dest, src]
            return TensorValues.Flat(kept.mul(p).sum([1, 2]).div(kept.sum([1, 2])));
        }
        var diff = a.sub(p).abs();                                                                // [head, dest, src]
        if (diff.triu(1).sum().item<float>() != 0)
            throw new IclException("The head detector's abs measure needs a causal (lower-triangular) attention pattern; " +
                "this model's pattern has weight above the diagonal.");
        var perHead = diff.mul(keep).mean([1, 2]).Times(n);                                       // float32, as TL computes it (held scalar)
        return TensorValues.Flat(perHead).Select(x => 1 - PythonRound3(x)).ToArray();
    }

    /// <summary>Python's <c>round(x, 3)</c>: to the nearest thousandth, ties to even, on x's shortest decimal form.</summary>
    internal static double PythonRound3(double x)
    {
        decimal shortest = decimal.Parse(x.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture);
        return (double)Math.Round(shortest, 3, MidpointRounding.ToEven);
    }

    private static void CheckPattern(string name, double[,] p, int n, HeadDetectorOptions options)
    {
        if (p.GetLength(0) != n || p.GetLength(1) != n)
            throw new IclException($"The detection pattern '{name}' is [{p.GetLength(0)}, {p.GetLength(1)}]; it must be [{n}, {n}] " +
                $"for a sequence of {n} tokens (TL: a lower-triangular matrix of shape (sequence_length, sequence_length)).");
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (p[i, j] != 0)
                    throw new IclException(string.Create(CultureInfo.InvariantCulture,
                        $"The detection pattern '{name}' has {p[i, j]} at (dest {i}, src {j}), above the diagonal; " +
                        $"a causal head cannot attend forward, so the pattern must be lower triangular."));
        if (options.ErrorMeasure == ErrorMeasure.Mul && p.Cast<double>().Any(v => v != 0 && v != 1))
            throw new IclException($"The detection pattern '{name}' has values other than 0 and 1, " +
                "which the mul measure does not score meaningfully (TL warns); use ErrorMeasure.Abs.");
    }

    private static string Definition(HeadDetectorOptions options) => options.ErrorMeasure == ErrorMeasure.Mul
        ? "TransformerLens detect_head, error_measure mul: sum(A * P) / sum(A) over the head's attention A " +
          "and the detection pattern P on the sequence" +
          (options.ExcludeBos ? ", attention to position 0 left out" : "") +
          (options.ExcludeCurrentToken ? ", attention to the current token left out" : "") + "."
        : "TransformerLens detect_head, error_measure abs: 1 - round(sum |A - P| / seq_len, 3)" +
          (options.ExcludeBos ? ", position 0 left out" : "") + (options.ExcludeCurrentToken ? ", the diagonal left out" : "") + ".";

    private static float[] Flatten(double[,] p)
    {
        int n = p.GetLength(0), m = p.GetLength(1);
        var flat = new float[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) flat[i * m + j] = (float)p[i, j];
        return flat;
    }
}
