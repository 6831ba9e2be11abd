using System.Text;

namespace IclNotebook.Tokenization.HuggingFace;

/// <summary>
/// Hugging Face's BPE model (tokenizer.json <c>"model": {"type": "BPE"}</c>): a word starts as its
/// characters and the adjacent pair with the lowest merge rank is merged until none applies.
/// Characters the vocabulary lacks become <c>&lt;0xNN&gt;</c> byte tokens with <c>byte_fallback</c>
/// (SentencePiece-style tokenizers), else the unknown token (runs fused with <c>fuse_unk</c>);
/// with <c>ignore_merges</c> a word that is itself in the vocabulary is taken whole (Llama 3).
/// </summary>
internal sealed class BpeModel
{
    private readonly IReadOnlyDictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly int? _unk;
    private readonly bool _byteFallback, _fuseUnk, _ignoreMerges;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public BpeModel(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, int? unk, bool byteFallback,
            bool fuseUnk, bool ignoreMerges)
    {
        _vocab = vocab;
        _ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) _ranks.TryAdd(merges[i], i);
        _unk = unk;
        _byteFallback = byteFallback;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>The ids of one pre-tokenized word.</summary>
    public int[] Encode(string word)
    {
        lock (_gate)
            if (_cache.TryGetValue(word, out var hit)) return hit;
        var ids = Merge(word);
        lock (_gate)
            if (_cache.Count < 100_000) _cache[word] = ids;
        return ids;
    }

    private int[] Merge(string word)
    {
        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole)) return [whole];
        // Symbols are whole characters (a surrogate pair is one character).
        var symbols = new List<string>();
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
            symbols.Add(word.Substring(i, char.IsSurrogatePair(word, i) ? 2 : 1));
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank) (best, bestRank) = (i, rank);
            if (best < 0) break;
            // Merge every occurrence of the best pair, left to right, as Hugging Face does for equal ranks.
            var (left, right) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right) { merged.Add(left + right); i++; }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        var ids = new List<int>(symbols.Count);
        bool lastUnk = false;
        foreach (var s in symbols)
        {
            if (_vocab.TryGetValue(s, out int id)) { ids.Add(id); lastUnk = false; continue; }
            if (_byteFallback
                && Encoding.UTF8.GetBytes(s).Select(b => _vocab.TryGetValue($"<0x{b:X2}>", out int bid) ? bid : -1).ToArray() is var bytes
                && bytes.All(b => b >= 0))
            {
                ids.AddRange(bytes);
                lastUnk = false;
                continue;
            }
            if (_unk is not { } unk)
                throw new IclException($"The tokenizer has no token for '{s}' and no unknown token; tokenizer.json may be incomplete.");
            if (!(_fuseUnk && lastUnk)) ids.Add(unk);
            lastUnk = true;
        }
        return ids.ToArray();
    }
}
