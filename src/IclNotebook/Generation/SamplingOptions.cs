using System.Globalization;

namespace IclNotebook.Generation;

/// <summary>
/// How the next token is chosen from a step's logits: greedy (the default, <see cref="Temperature"/> 0), or sampled from
/// softmax(logits / temperature) restricted to the <see cref="TopK"/> most likely tokens and to the smallest set whose
/// probability reaches <see cref="TopP"/> (Hugging Face's order: temperature, top-k, top-p), with a seed.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>0 for greedy (the most likely token); above 0, the softmax temperature.</summary>
    public double Temperature { get; init; }

    /// <summary>Sample among the k most likely tokens only (ties with the k-th kept); null for all.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: the smallest set of most likely tokens whose probability reaches p (0 &lt; p ≤ 1); null for all.</summary>
    public double? TopP { get; init; }

    /// <summary>The random stream's seed: the same seed and logits give the same tokens, on every machine.</summary>
    public ulong Seed { get; init; }

    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Whether these options sample (a temperature above 0).</summary>
    public bool Samples => Temperature > 0;

    /// <summary>These options, or an <see cref="IclException"/> naming the value out of range and what it may be.</summary>
    public SamplingOptions Validate()
    {
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw new IclException(string.Create(CultureInfo.InvariantCulture,
                $"temperature {Temperature}: give 0 for greedy decoding or a positive temperature (1 samples from the model's own distribution)."));
        if (TopK is < 1) throw new IclException($"top-k {TopK}: give at least 1 (the number of most likely tokens to sample among).");
        if (TopP is { } p && !(p > 0 && p <= 1))
            throw new IclException(string.Create(CultureInfo.InvariantCulture, $"top-p {p}: give a probability in (0, 1] (1 keeps every token)."));
        if (!Samples && (TopK is not null || TopP is not null))
            throw new IclException("top-k and top-p restrict sampling: give a temperature above 0 too (temperature 0 is greedy decoding).");
        return this;
    }
}
