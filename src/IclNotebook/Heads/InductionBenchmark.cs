using IclNotebook.Patterns;
using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Heads;

/// <summary>
/// The standard induction benchmark (Olsson et al. 2022, "In-context Learning and Induction
/// Heads"): run a random token sequence repeated twice, and score each head by how much it attends,
/// from each token of the second copy, to the token that followed the same token in the first copy
/// (the prefix-matching score).
/// </summary>
public static class InductionBenchmark
{
    /// <summary>Default length of the random sequence (it runs twice, after BOS).</summary>
    public const int DefaultLength = 50;

    /// <summary>
    /// [BOS] + r + r with r = <paramref name="length"/> token ids drawn uniformly (SplitMix64,
    /// <paramref name="seed"/>) from [1000, 10000) — ordinary word pieces in GPT-2-sized
    /// vocabularies — or from the whole vocabulary of a small one, never the BOS or pad id.
    /// Models without a BOS (TL's default_prepend_bos false) get r + r; a toy vocabulary too small for
    /// its tokenizer's BOS uses token 0 as BOS.
    /// </summary>
    public static int[] RepeatedRandomTokens(HookedTransformer model, int length = DefaultLength, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        int? bos = model.HasTokenizer ? model.Tokenizer.BosId : 0;
        if (bos >= model.Config.DVocab) bos = 0;
        bool prepend = model.Config.DefaultPrependBos && bos is not null;
        int total = 2 * length + (prepend ? 1 : 0);
        if (length < 2 || total >= model.Config.NCtx)
            throw new IclException($"The repeated sequence needs 2 <= length and 2 x length{(prepend ? " + 1" : "")} < " +
                $"{model.Config.Name}'s context of {model.Config.NCtx}; got length {length}.");
        int vocab = model.Config.DVocab;
        (int lo, int hi) = vocab > 10000 ? (1000, 10000) : (0, vocab);
        var special = new HashSet<int> { bos ?? -1, model.HasTokenizer ? model.Tokenizer.PadId : -1 };
        var rng = new SplitMix64(seed);
        var r = new int[length];
        for (int i = 0; i < length; i++)
        {
            int t;
            do { t = lo + rng.NextInt(hi - lo); } while (special.Contains(t));
            r[i] = t;
        }
        return [.. prepend ? [bos!.Value] : Array.Empty<int>(), .. r, .. r];
    }

    /// <summary>
    /// The prefix-matching score of every head on <see cref="RepeatedRandomTokens"/>: the mean, over
    /// the destinations i of the second copy, of the head's attention from i to i - length + 1 (the
    /// token after the first copy of token i). 1 = a perfect induction head; a head spreading its
    /// attention evenly scores about 1 / i.
    /// </summary>
    public static HeadScores PrefixMatching(HookedTransformer model, int length = DefaultLength, ulong seed = 0)
    {
        var tokens = RepeatedRandomTokens(model, length, seed);
        using var cache = AttentionPatterns.Of(model, tokens);
        return PrefixMatching(model, cache, tokens, length, seed);
    }

    /// <summary>
    /// The score from the patterns of <see cref="RepeatedRandomTokens"/>(<paramref name="length"/>, <paramref name="seed"/>)
    /// already run (<paramref name="cache"/>).
    /// </summary>
    internal static HeadScores PrefixMatching(HookedTransformer model, ActivationCache cache, int[] tokens, int length, ulong seed)
    {
        int offset = tokens.Length - 2 * length;                                     // 1 with BOS, else 0
        using var scope = NewDisposeScope();
        var dest = arange(offset + length, offset + 2 * length, dtype: int64);      // the second copy
        var src = arange(offset + 1, offset + length + 1, dtype: int64);              // the token after its first copy (dest - length + 1)
        var rows = new List<IReadOnlyList<double>>();
        for (int l = 0; l < model.Config.NLayers; l++)
        {
            var pattern = cache[HookName.Pattern(l)][0].cpu();                         // [head, dest, src]
            var stripe = pattern.index([TensorIndex.Colon, TensorIndex.Tensor(dest), TensorIndex.Tensor(src)]); // [head, length]
            rows.Add(TensorValues.Flat(stripe.mean([1])));
        }
        return new HeadScores
        {
            Name = "prefix_matching",
            Options = $"length={length}, seed={seed}",
            Definition = $"Induction benchmark (Olsson et al. 2022): a random sequence of {length} tokens " +
                $"repeated twice{(offset == 1 ? " after BOS" : "")}; " +
                "each head's mean attention from a token of the second copy to the token after its first occurrence.",
            Values = rows,
            Tokens = tokens,
        };
    }
}
