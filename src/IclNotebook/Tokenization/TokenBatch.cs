using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace IclNotebook.Tokenization;

/// <summary>
/// Prompts tokenized like TransformerLens's <c>to_tokens</c>: BOS prepended, right-padded with
/// the pad id to the longest prompt. Managed data; <see cref="ToTensor"/> makes the int64 tensor.
/// </summary>
/// <param name="Ids">Each prompt's real tokens (BOS included when prepended), unpadded.</param>
/// <param name="PadId">Id used for right padding (GPT-2: 50256, the same as BOS).</param>
public sealed record TokenBatch(IReadOnlyList<int[]> Ids, int PadId)
{
    /// <summary>The tokenizer that made the batch (views decode with it); null for ids given directly.</summary>
    [JsonIgnore]
    public ModelTokenizer? Tokenizer { get; init; }

    /// <summary>Each prompt's real length in tokens.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> Lengths => Ids.Select(i => i.Length).ToArray();

    /// <summary>
    /// The padded width when it must be wider than the longest prompt (<see cref="Rows"/> keeps a larger batch's width); 0 when
    /// the longest prompt sets it.
    /// </summary>
    [JsonIgnore]
    public int MinWidth { get; init; }

    /// <summary>Padded length (the longest prompt, or <see cref="MinWidth"/> when wider).</summary>
    [JsonIgnore]
    public int MaxLength => Math.Max(MinWidth, Ids.Count == 0 ? 0 : Ids.Max(i => i.Length));

    [JsonIgnore]
    public int Count => Ids.Count;

    /// <summary>Position of each prompt's last real token (length - 1).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> LastPositions => Ids.Select(i => i.Length - 1).ToArray();

    /// <summary>The padded batch as rows of ids.</summary>
    public long[][] Padded()
    {
        int n = MaxLength;
        return Ids.Select(ids => Enumerable.Range(0, n).Select(p => (long)(p < ids.Length ? ids[p] : PadId)).ToArray()).ToArray();
    }

    /// <summary>
    /// The batch cut into runs of consecutive prompts whose padded size (prompts x their longest) stays within
    /// <paramref name="tokens"/> (a prompt longer than that goes alone): each with the index of its first prompt, so
    /// a pass over many prompts holds one run's activations at a time.
    /// </summary>
    public IEnumerable<(int Start, TokenBatch Part)> Chunks(int tokens)
    {
        int start = 0;
        while (start < Count)
        {
            int count = 0, longest = 0;
            while (start + count < Count && (count == 0 || Math.Max(longest, Ids[start + count].Length) * (count + 1) <= tokens))
                longest = Math.Max(longest, Ids[start + count++].Length);
            yield return (start, this with { Ids = Ids.Skip(start).Take(count).ToArray() });
            start += count;
        }
    }

    /// <summary>Prompts <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1, padded to this batch's width.</summary>
    public TokenBatch Rows(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Count);
        return this with { Ids = Ids.Skip(start).Take(count).ToArray(), MinWidth = MaxLength };
    }

    /// <summary>int64 tensor [batch, pos] on <paramref name="device"/> (CPU by default).</summary>
    public Tensor ToTensor(Device? device = null)
    {
        var rows = Padded();
        var flat = rows.SelectMany(r => r).ToArray();
        return tensor(flat, [rows.Length, MaxLength], dtype: ScalarType.Int64, device: device ?? CPU);
    }
}
