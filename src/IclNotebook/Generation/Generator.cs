using IclNotebook.Model;
using IclNotebook.Runtime;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Generation;

/// <summary>
/// Generation's loop for a batch of prompts of different lengths. With the cache, rows are left-padded (every row's newest
/// token at the same index; pads hidden from attention; each token at its real position) and each step runs one position
/// per row. Without it, rows are right-padded and each step is a whole forward read at each row's last token: the plain
/// forward the TransformerLens goldens check, so it is the reference the cache is tested against. Hooks fire at every step.
/// </summary>
internal static class Generator
{
    public static IReadOnlyList<Completion> Run(HookedTransformer model, IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        var tokenizer = model.HasTokenizer ? model.Tokenizer : null;
        if (options.StopStrings.Count > 0 && tokenizer is null)
            throw new IclException($"{model.Config.Name} has no tokenizer, so its output has no text to find stop strings in; stop on token ids " +
                "(GenerationOptions.StopTokens) instead.");
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Length == 0) throw new IclException($"Prompt {i} has no tokens: give at least one (BOS, where the family has one).");
            if (prompts[i].Length + options.MaxNewTokens - 1 > model.Config.NCtx)                 // the last new token is never fed back
                throw new IclException($"Prompt {i} is {prompts[i].Length} tokens; with {options.MaxNewTokens} new tokens it would pass " +
                    $"{model.Config.Name}'s context of {model.Config.NCtx}. Shorten the prompt or ask for fewer new tokens.");
        }
        var stopTokens = new HashSet<int>(options.StopTokens);
        if (options.StopAtEos && tokenizer is not null) stopTokens.UnionWith(tokenizer.EosIds);
        var rows = prompts.Select((p, i) => new CompletionRow(i, p, tokenizer, options, stopTokens)).ToArray();
        var samplers = rows.Select((_, i) => new TokenSampler(options.Sampling with { Seed = options.Sampling.Seed + (ulong)i })).ToArray();
        int pad = tokenizer?.PadId is { } id && id < model.Config.DVocab ? id : 0;   // a pad is never attended to: any valid id
        using var noGrad = no_grad();
        for (int start = 0; start < rows.Length; start += options.BatchSize)
        {
            var batch = rows.Skip(start).Take(options.BatchSize).ToArray();
            var batchSamplers = samplers.Skip(start).Take(options.BatchSize).ToArray();
            if (options.UseCache) Cached(model, batch, batchSamplers, options.MaxNewTokens, pad, start);
            else Uncached(model, batch, batchSamplers, pad, start);
        }
        return rows.Select(r => r.ToCompletion()).ToArray();
    }

    private static void Cached(HookedTransformer model, CompletionRow[] rows, TokenSampler[] samplers, int maxNew, int pad, int firstRow)
    {
        int width = rows.Max(r => r.Length), n = rows.Length;
        var ids = new long[n * width];
        var real = new bool[n * width];
        for (int r = 0; r < n; r++)
            for (int p = 0; p < width; p++)
            {
                int at = p - (width - rows[r].Length);                                     // left padding
                ids[r * width + p] = at >= 0 ? rows[r].Prompt[at] : pad;
                real[r * width + p] = at >= 0;
            }
        using var cache = new KeyValueCache(model.Config.NLayers, n, width + maxNew, model.ModelDevice,
            rows.Select(r => (long)r.Prompt.Length).ToArray(), firstRow);
        using (var scope = NewDisposeScope())
            Choose(rows, samplers, model.Step(tensor(ids, [n, width]), tensor(real, [n, width]), cache));
        using var stepReal = ones(n, 1, dtype: ScalarType.Bool);
        while (rows.Any(r => !r.Done))
        {
            using var scope = NewDisposeScope();                                             // each step's temporaries
            var next = rows.Select(r => r.Done ? pad : (long)r.AllTokens.Last()).ToArray();
            Choose(rows, samplers, model.Step(tensor(next, [n, 1]), stepReal, cache));
        }
    }

    private static void Uncached(HookedTransformer model, CompletionRow[] rows, TokenSampler[] samplers, int pad, int firstRow)
    {
        using var promptLengths = tensor(rows.Select(r => (long)r.Prompt.Length).ToArray(), device: model.ModelDevice);
        while (rows.Any(r => !r.Done))
        {
            int width = rows.Max(r => r.Length), n = rows.Length;
            var ids = new long[n * width];
            Array.Fill(ids, pad);
            for (int r = 0; r < n; r++)
            {
                int p = 0;
                foreach (var id in rows[r].AllTokens) ids[r * width + p++] = id;
            }
            using var scope = NewDisposeScope();                                             // each step's temporaries
            var last = tensor(rows.Select(r => (long)r.Length - 1).ToArray());
            var index = HeldScalars.Range(0, width).unsqueeze(0).expand(n, -1);
            var positions = index.masked_fill(index.gt(last.unsqueeze(1)), HeldScalars.Whole(-1)).to(model.ModelDevice); // right pads at -1
            using var context = new ScopedPositions(model, positions, promptLengths, firstRow);
            Choose(rows, samplers, model.Run(tensor(ids, [n, width]), new ForwardOptions { UnembedPositions = last }));
        }
    }

    /// <summary>Each running row's next token from its row of <paramref name="logits"/> [batch, d_vocab] (the caller's scope frees them).</summary>
    private static void Choose(CompletionRow[] rows, TokenSampler[] samplers, Tensor logits)
    {
        var host = logits.to(ScalarType.Float32).cpu().contiguous();
        var all = host.data<float>().ToArray();
        int vocab = (int)host.shape[1];
        for (int r = 0; r < rows.Length; r++)
        {
            if (rows[r].Done) continue;
            var row = all.AsSpan(r * vocab, vocab);
            rows[r].Add(samplers[r].Next(row), row);
        }
    }
}
