using System.Text.Json;

namespace IclNotebook.Tokenization.HuggingFace;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (BPE models: byte-level as GPT-2, GPT-NeoX and Qwen2 ship
/// them; SentencePiece-style with byte fallback as Llama 2, Mistral and TinyLlama ship them), read
/// and run by this kit: added tokens split the text first, then the normalizer, the
/// pre-tokenizer, the BPE model; decoding runs the decoder. BOS and padding follow
/// TransformerLens's <c>to_tokens</c> for the family (<c>tokenizer_config.json</c>'s bos_token,
/// prepended where the family prepends one; pad = its pad_token, else its eos_token). The ids are
/// checked against Hugging Face's own implementation in the tests.
/// </summary>
public sealed class HfTokenizer : ModelTokenizer
{
    private readonly TextSteps _steps;
    private readonly BpeModel _model;
    private readonly Dictionary<int, string> _byId;
    private readonly List<(string Content, int Id)> _added; // longest first

    private HfTokenizer(string description, TextSteps steps, BpeModel model, Dictionary<int, string> byId, List<(string, int)> added,
            int? bos, int pad, IReadOnlyList<int> eos)
    {
        EosIds = eos;
        Description = description;
        _steps = steps;
        _model = model;
        _byId = byId;
        _added = added;
        BosId = bos;
        PadId = pad;
    }

    public override string Description { get; }

    public override int? BosId { get; }

    public override int PadId { get; }

    /// <summary>
    /// tokenizer_config.json's eos_token, with every <c>eos_token_id</c> of generation_config.json and config.json (a chat
    /// model may list several).
    /// </summary>
    public override IReadOnlyList<int> EosIds { get; }

    /// <summary>Reads <c>tokenizer.json</c> and <c>tokenizer_config.json</c> from <paramref name="folder"/>.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="prependBos">Whether the family's <c>to_tokens</c> prepends BOS (TL's default_prepend_bos).</param>
    public static HfTokenizer Load(string folder, bool prependBos)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path))
            throw new IclException($"Model folder '{folder}' has no tokenizer.json; " +
                "download it with the model (Hugging Face repositories ship it beside config.json).");
        using var doc = Parse(path);
        var root = doc.RootElement;
        var m = root.GetProperty("model");
        string type = m.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type != "BPE")
            throw new IclException($"{path}: tokenizer model '{type}' is not supported; " +
                "only BPE tokenizers (byte-level or SentencePiece-style) are.");
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                throw new IclException($"{path}: BPE {key} '{v.GetString()}' is not supported.");
        var vocab = m.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        var merges = m.GetProperty("merges").EnumerateArray().Select((e, i) => Merge(e, i, path)).ToList();
        var added = root.TryGetProperty("added_tokens", out var a)
            ? a.EnumerateArray().Select(x => (Content: x.GetProperty("content").GetString()!, Id: x.GetProperty("id").GetInt32())).ToList()
            : [];
        var byId = vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        foreach (var (content, id) in added) byId[id] = content;
        var ids = vocab.Concat(added.Select(x => new KeyValuePair<string, int>(x.Content, x.Id)))
            .GroupBy(kv => kv.Key)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        int? unk = m.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? ids.GetValueOrDefault(u.GetString()!, -1) : null;
        var model = new BpeModel(vocab, merges, unk is >= 0 ? unk : null, Flag(m, "byte_fallback"), Flag(m, "fuse_unk"), Flag(m, "ignore_merges"));
        var steps = new TextSteps(root, path);

        var (bosToken, eosToken, padToken) = SpecialTokens(folder);
        int? Id(string? token) => token is not null && ids.TryGetValue(token, out var id) ? id : null;
        int? bos = prependBos
            ? Id(bosToken) ?? throw new IclException($"{folder}: tokenizer_config.json names no bos_token the vocabulary has, " +
                "but this family prepends BOS.")
            : null;
        int pad = Id(padToken) ?? Id(eosToken) ?? throw new IclException($"{folder}: tokenizer_config.json names neither a pad_token " +
            "nor an eos_token the vocabulary has; batches need a pad id.");
        var eos = new[] { Id(eosToken) }.OfType<int>().Concat(EosIdsIn(folder, "generation_config.json")).Concat(EosIdsIn(folder, "config.json"))
            .Distinct().ToArray();
        string kind = steps.ByteLevel ? "byte-level BPE" : Flag(m, "byte_fallback") ? "SentencePiece-style BPE with byte fallback" : "BPE";
        return new HfTokenizer($"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)))}'s {kind}", steps, model, byId,
            added.Where(x => x.Content.Length > 0).OrderByDescending(x => x.Content.Length).ToList(), bos, pad, eos);
    }

    public override int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var (piece, addedId) in SplitAdded(text))
        {
            if (addedId is { } id) { ids.Add(id); continue; }
            foreach (var word in _steps.PreTokenize(_steps.Normalize(piece)))
                ids.AddRange(_model.Encode(word));
        }
        return ids.ToArray();
    }

    public override string Decode(int id) => Decode([id]);

    /// <summary>
    /// The text of <paramref name="ids"/>. An id the vocabulary does not name (a padded embedding row:
    /// Pythia's 50,304 rows hold 50,277 tokens, Qwen2's 151,936 rows fewer) decodes to nothing, as in
    /// Hugging Face's tokenizers.
    /// </summary>
    public override string Decode(IEnumerable<int> ids) =>
        _steps.Decode(ids.Where(_byId.ContainsKey).Select(id => _byId[id]));

    /// <summary>The text cut at every added token (special tokens match before normalization, longest first).</summary>
    private IEnumerable<(string Piece, int? Id)> SplitAdded(string text)
    {
        int start = 0, at = 0;
        while (at < text.Length)
        {
            var hit = _added.FirstOrDefault(x => string.CompareOrdinal(text, at, x.Content, 0, x.Content.Length) == 0);
            if (hit.Content is null) { at++; continue; }
            if (at > start) yield return (text[start..at], null);
            yield return (hit.Content, hit.Id);
            at += hit.Content.Length;
            start = at;
        }
        if (start < text.Length) yield return (text[start..], null);
    }

    private static (string Left, string Right) Merge(JsonElement e, int index, string path)
    {
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2) return (e[0].GetString()!, e[1].GetString()!);
        var parts = e.ValueKind == JsonValueKind.String ? e.GetString()!.Split(' ') : [];
        return parts.Length == 2
            ? (parts[0], parts[1])
            : throw new IclException($"{path}: merges[{index}] is not a pair of tokens ({e.GetRawText()}).");
    }

    private static bool Flag(JsonElement m, string key) => m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>bos, eos and pad token strings from tokenizer_config.json (a string or {"content": ...}); nulls when absent.</summary>
    private static (string? Bos, string? Eos, string? Pad) SpecialTokens(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path)) return (null, null, null);
        using var doc = Parse(path);
        string? Token(string key)
        {
            if (!doc.RootElement.TryGetProperty(key, out var v)) return null;
            if (v.ValueKind == JsonValueKind.String) return v.GetString();
            return v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString() : null;
        }
        return (Token("bos_token"), Token("eos_token"), Token("pad_token"));
    }

    /// <summary>
    /// The <c>eos_token_id</c> of <paramref name="file"/> in <paramref name="folder"/> (a number or a list of them); none when
    /// absent.
    /// </summary>
    private static int[] EosIdsIn(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path)) return [];
        using var doc = Parse(path);
        if (!doc.RootElement.TryGetProperty("eos_token_id", out var e)) return [];
        var values = e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToArray() : [e];
        return values.Where(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out _)).Select(v => v.GetInt32()).ToArray();
    }

    private static JsonDocument Parse(string path)
    {
        try { return JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new IclException($"{path}: not valid JSON ({e.Message}). Download it again."); }
    }
}
