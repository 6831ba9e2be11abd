using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IclNotebook.Tokenization.HuggingFace;

/// <summary>
/// The text steps of a tokenizer.json around its model, as Hugging Face's tokenizers library runs
/// them: the normalizer (NFC, NFKC, Prepend, Replace, Lowercase, Sequence), the pre-tokenizer
/// (ByteLevel with GPT-2's regex, Split by a regex with behavior Isolated or merged with the previous or next piece, Sequence) and the decoder
/// (ByteLevel; Replace, ByteFallback, Fuse, Strip, Sequence). Anything else is refused by name, so
/// a tokenizer is never silently approximated.
/// </summary>
internal sealed class TextSteps
{
    /// <summary>GPT-2's pre-tokenizer regex (ByteLevel with use_regex).</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly List<Func<string, string>> _normalizers = [];
    private readonly List<Func<string, IEnumerable<string>>> _splits = [];
    private readonly List<Func<List<string>, List<string>>> _decoders = [];

    /// <summary>Whether words are byte-level mapped before the model (ByteLevel pre-tokenizer).</summary>
    public bool ByteLevel { get; private set; }

    private readonly string _source;

    public TextSteps(JsonElement root, string source)
    {
        _source = source;
        if (root.TryGetProperty("normalizer", out var n) && n.ValueKind != JsonValueKind.Null) AddNormalizer(n);
        if (root.TryGetProperty("pre_tokenizer", out var p) && p.ValueKind != JsonValueKind.Null) AddPreTokenizer(p);
        if (root.TryGetProperty("decoder", out var d) && d.ValueKind != JsonValueKind.Null) AddDecoder(d);
    }

    public string Normalize(string text) => _normalizers.Aggregate(text, (t, f) => f(t));

    /// <summary>The pre-tokenized words of normalized text (byte-level mapped where the tokenizer is).</summary>
    public IEnumerable<string> PreTokenize(string text)
    {
        IEnumerable<string> pieces = [text];
        foreach (var split in _splits) pieces = pieces.SelectMany(split).ToList();
        return ByteLevel ? pieces.Select(ByteLevelMap.Encode) : pieces;
    }

    /// <summary>Token strings back to text.</summary>
    public string Decode(IEnumerable<string> tokens)
    {
        var pieces = tokens.ToList();
        foreach (var step in _decoders) pieces = step(pieces);
        return string.Concat(pieces);
    }

    private static string Type(JsonElement e) => e.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";

    private IclException Unsupported(string what, JsonElement e) =>
        new($"{_source}: {what} '{Type(e)}' is not supported ({e.GetRawText()[..Math.Min(120, e.GetRawText().Length)]}); " +
            "supported: the steps GPT-2, GPT-NeoX, Llama/Mistral and Qwen2 tokenizers use.");

    private void AddNormalizer(JsonElement n)
    {
        switch (Type(n))
        {
            case "Sequence": foreach (var x in n.GetProperty("normalizers").EnumerateArray()) AddNormalizer(x); break;
            case "NFC": _normalizers.Add(t => t.Normalize(NormalizationForm.FormC)); break;
            case "NFKC": _normalizers.Add(t => t.Normalize(NormalizationForm.FormKC)); break;
            case "Lowercase": _normalizers.Add(t => t.ToLowerInvariant()); break;
            case "Prepend":
                var prefix = n.GetProperty("prepend").GetString()!;
                _normalizers.Add(t => t.Length == 0 ? t : prefix + t);
                break;
            case "Replace":
                var (pattern, content) = (Pattern(n), n.GetProperty("content").GetString()!);
                _normalizers.Add(t => pattern.Replace(t, content));
                break;
            default: throw Unsupported("normalizer", n);
        }
    }

    private void AddPreTokenizer(JsonElement p)
    {
        switch (Type(p))
        {
            case "Sequence": foreach (var x in p.GetProperty("pretokenizers").EnumerateArray()) AddPreTokenizer(x); break;
            case "ByteLevel":
                ByteLevel = true;
                bool prefixSpace = p.TryGetProperty("add_prefix_space", out var a) && a.GetBoolean();
                if (prefixSpace) _splits.Add(t => [t.StartsWith(' ') ? t : " " + t]);
                if (!p.TryGetProperty("use_regex", out var r) || r.GetBoolean())
                {
                    var gpt2 = new Regex(Gpt2Pattern, RegexOptions.CultureInvariant);
                    _splits.Add(t => Isolated(gpt2, t));
                }
                break;
            case "Split":
                string? behavior = p.TryGetProperty("behavior", out var b) ? b.GetString() : null;
                bool invert = p.TryGetProperty("invert", out var inv) && inv.GetBoolean();
                if (invert ? behavior != "Removed" : behavior is not ("Isolated" or "MergedWithPrevious" or "MergedWithNext"))
                    throw Unsupported("pre-tokenizer Split (behaviors Isolated, MergedWithPrevious, MergedWithNext; with invert, Removed)", p);
                var regex = Pattern(p);
                _splits.Add(invert ? t => Matches(regex, t) : behavior switch
                {
                    "Isolated" => t => Isolated(regex, t),
                    "MergedWithPrevious" => t => Merged(regex, t, withPrevious: true),
                    _ => t => Merged(regex, t, withPrevious: false),
                });
                break;
            default: throw Unsupported("pre-tokenizer", p);
        }
    }

    private void AddDecoder(JsonElement d)
    {
        switch (Type(d))
        {
            case "Sequence": foreach (var x in d.GetProperty("decoders").EnumerateArray()) AddDecoder(x); break;
            case "ByteLevel": _decoders.Add(tokens => [Encoding.UTF8.GetString(tokens.SelectMany(ByteLevelMap.Decode).ToArray())]); break;
            case "Replace":
                var (pattern, content) = (Pattern(d), d.GetProperty("content").GetString()!);
                _decoders.Add(tokens => tokens.Select(t => pattern.Replace(t, content)).ToList());
                break;
            case "ByteFallback": _decoders.Add(ByteFallback); break;
            case "Fuse": _decoders.Add(tokens => [string.Concat(tokens)]); break;
            case "Strip":
                char strip = d.GetProperty("content").GetString()![0];
                int start = d.GetProperty("start").GetInt32();
                int stop = d.GetProperty("stop").GetInt32();
                _decoders.Add(tokens => tokens.Select((t, i) => StripChars(t, strip, i == 0 ? start : 0, i == tokens.Count - 1 ? stop : 0)).ToList());
                break;
            default: throw Unsupported("decoder", d);
        }
    }

    /// <summary>Hugging Face's Split behavior Isolated: every match and every gap between matches is a piece.</summary>
    private static IEnumerable<string> Isolated(Regex regex, string text)
    {
        int at = 0;
        foreach (Match m in regex.Matches(text))
        {
            if (m.Length == 0) continue;
            if (m.Index > at) yield return text[at..m.Index];
            yield return m.Value;
            at = m.Index + m.Length;
        }
        if (at < text.Length) yield return text[at..];
    }

    /// <summary>
    /// Hugging Face's Split behaviors MergedWithPrevious (each match ends the piece before it: "a-b--c" by "-" gives "a-", "b-",
    /// "-", "c") and MergedWithNext (each match starts the piece after it: "a", "-b", "-", "-c").
    /// </summary>
    private static IEnumerable<string> Merged(Regex regex, string text, bool withPrevious)
    {
        int at = 0;
        foreach (Match m in regex.Matches(text))
        {
            if (m.Length == 0) continue;
            int cut = withPrevious ? m.Index + m.Length : m.Index;                    // where the piece ends
            if (cut > at) yield return text[at..cut];
            at = cut;
        }
        if (at < text.Length) yield return text[at..];
    }

    /// <summary>Split with invert and behavior Removed (cl100k-style tokenizers): the pattern's matches are the pieces, the rest is dropped.</summary>
    private static IEnumerable<string> Matches(Regex regex, string text) =>
        regex.Matches(text).Where(m => m.Length > 0).Select(m => m.Value);

    /// <summary>A pattern given as {"String": s} (literal) or {"Regex": r}.</summary>
    private Regex Pattern(JsonElement step)
    {
        var pattern = step.GetProperty("pattern");
        if (pattern.TryGetProperty("String", out var s)) return new Regex(Regex.Escape(s.GetString()!), RegexOptions.CultureInvariant);
        if (pattern.TryGetProperty("Regex", out var r)) return new Regex(r.GetString()!, RegexOptions.CultureInvariant);
        throw Unsupported("pattern", step);
    }

    /// <summary>Consecutive &lt;0xNN&gt; tokens become the text their bytes spell (invalid UTF-8 as U+FFFD per byte, as Hugging Face).</summary>
    private static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            var decoded = new UTF8Encoding(false, throwOnInvalidBytes: true);
            try { result.Add(decoded.GetString(bytes.ToArray())); }
            catch (DecoderFallbackException) { result.AddRange(bytes.Select(_ => "\uFFFD")); }
            bytes.Clear();
        }
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t.EndsWith('>')
                && byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }

    private static string StripChars(string t, char c, int start, int stop)
    {
        int s = 0, e = t.Length;
        while (s < e && s < start && t[s] == c) s++;
        while (e > s && t.Length - e < stop && t[e - 1] == c) e--;
        return t[s..e];
    }
}
