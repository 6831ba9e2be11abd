using IclNotebook.Tokenization;

namespace IclNotebook.Generation;

/// <summary>
/// One prompt while it is being generated: its tokens so far, their text (decoded whole each step, so tokens that join into
/// one character are never split), what has been streamed, and whether and why it stopped.
/// </summary>
internal sealed class CompletionRow(int index, int[] prompt, ModelTokenizer? tokenizer, GenerationOptions options, ISet<int> stopTokens)
{
    private readonly List<int> _tokens = [];
    private readonly List<float[]>? _logits = options.KeepLogits ? [] : null;
    private string _text = "";
    private int _streamed;

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
            var text = tokenizer.Decode(stopToken ? _tokens.Take(_tokens.Count - 1) : _tokens);
            int cut = StopAt(text);
            if (cut >= 0) (_text, _end, Done) = (text[..cut], CompletionEnd.StopString, true);
            else _text = text;
        }
        if (!Done && stopToken) (_end, Done) = (CompletionEnd.StopToken, true);
        if (!Done && _tokens.Count >= options.MaxNewTokens) (_end, Done) = (CompletionEnd.TokenBudget, true);
        Stream(token);
    }

    /// <summary>Where the first stop string starts in <paramref name="text"/>, or -1 (searched from just before the new text).</summary>
    private int StopAt(string text)
    {
        int best = -1;
        foreach (var stop in options.StopStrings)
        {
            int at = text.IndexOf(stop, Math.Max(0, _text.Length - stop.Length), StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best;
    }

    /// <summary>Hands the text no longer in doubt to the caller: all of it once done, else up to an unfinished character.</summary>
    private void Stream(int token)
    {
        if (options.OnToken is null) return;
        int stable = _text.Length;
        if (!Done) while (stable > _streamed && _text[stable - 1] == '\uFFFD') stable--;
        var piece = stable > _streamed ? _text[_streamed..stable] : "";
        _streamed = Math.Max(_streamed, stable);
        options.OnToken(new GeneratedToken(index, token, piece));
    }

    public Completion ToCompletion() => new(prompt, [.. _tokens], tokenizer is null ? null : _text, _end, _logits);
}
