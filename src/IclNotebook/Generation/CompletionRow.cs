using IclNotebook.Tokenization;

namespace IclNotebook.Generation;

/// <summary>
/// One prompt while it is being generated: its tokens so far, their text, what has been streamed, and whether and why it
/// stopped. The text is decoded whole each step after the prompt (prompt and new tokens decoded together, the prompt's own
/// text taken off), so tokens that join into one character are never split and a SentencePiece-style decoder does not
/// strip the continuation's leading space as if it began a text.
/// </summary>
internal sealed class CompletionRow(int index, int[] prompt, ModelTokenizer? tokenizer, GenerationOptions options, ISet<int> stopTokens)
{
    private readonly List<int> _tokens = [];
    private readonly List<float[]>? _logits = options.KeepLogits ? [] : null;
    private string _text = "";
    private int _streamed;
    private string? _promptText;

    public int[] Prompt => prompt;

    public bool Done { get; private set; }

    /// <summary>The prompt and the tokens generated so far.</summary>
    public IEnumerable<int> AllTokens => prompt.Concat(_tokens);

    public int Length => prompt.Length + _tokens.Count;

    private CompletionEnd _end;

    /// <summary>Takes the next token chosen from <paramref name="logits"/>; stops the row on a stop token, a stop string or the budget.</summary>
    public void Add(int token, ReadOnlySpan<float> logits)
    {
        _tokens.Add(token);
        _logits?.Add(logits.ToArray());
        bool stopToken = stopTokens.Contains(token);
        if (tokenizer is not null)
        {
            var text = Continuation(tokenizer, stopToken ? _tokens.Take(_tokens.Count - 1).ToArray() : [.. _tokens]);
            int cut = StopAt(text);
            if (cut >= 0) (_text, _end, Done) = (text[..cut], CompletionEnd.StopString, true);
            else _text = text;
        }
        if (!Done && stopToken) (_end, Done) = (CompletionEnd.StopToken, true);
        if (!Done && _tokens.Count >= options.MaxNewTokens) (_end, Done) = (CompletionEnd.TokenBudget, true);
        Stream(token);
    }

    /// <summary>
    /// The text of <paramref name="generated"/> after the prompt: the prompt and them decoded together, the prompt's text taken
    /// off (when the decoder changed the prompt's own text, the generated tokens decoded alone).
    /// </summary>
    private string Continuation(ModelTokenizer tokenizer, int[] generated)
    {
        _promptText ??= tokenizer.Decode(prompt);
        var whole = tokenizer.Decode([.. prompt, .. generated]);
        return whole.StartsWith(_promptText, StringComparison.Ordinal) ? whole[_promptText.Length..] : tokenizer.Decode(generated);
    }

    /// <summary>Where the first stop string starts in <paramref name="text"/>, or -1 (the whole text: it may have changed as bytes joined).</summary>
    private int StopAt(string text)
    {
        int best = -1;
        foreach (var stop in options.StopStrings)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best;
    }

    /// <summary>
    /// Hands the text no longer in doubt to the caller: all of it once done; before that, up to an unfinished character and
    /// short of any ending that could still grow into a stop string (it would be cut).
    /// </summary>
    private void Stream(int token)
    {
        if (options.OnToken is null) return;
        int stable = _text.Length;
        if (!Done)
        {
            while (stable > _streamed && _text[stable - 1] == '\uFFFD') stable--;
            stable -= options.StopStrings.Select(stop => OpenPrefix(_text.AsSpan(0, stable), stop)).DefaultIfEmpty(0).Max();
        }
        var piece = stable > _streamed ? _text[_streamed..stable] : "";
        _streamed = Math.Max(_streamed, stable);
        options.OnToken(new GeneratedToken(index, token, piece));
    }

    /// <summary>The length of the longest ending of <paramref name="text"/> that is a proper beginning of <paramref name="stop"/>.</summary>
    private static int OpenPrefix(ReadOnlySpan<char> text, string stop)
    {
        for (int n = Math.Min(stop.Length - 1, text.Length); n > 0; n--)
            if (text[^n..].SequenceEqual(stop.AsSpan(0, n))) return n;
        return 0;
    }

    public Completion ToCompletion() => new(prompt, [.. _tokens], tokenizer is null ? null : _text, _end, _logits);
}
