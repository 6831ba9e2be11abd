using System.Diagnostics;
using IclNotebook.Generation;
using IclNotebook.Icl;
using IclNotebook.Metrics;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Progress;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// Function vectors (Todd et al., ICLR 2024, github.com/ericwtodd/function_vectors): which heads
/// carry the task from the demonstrations to the prediction, and whether their summed output makes a
/// prompt without demonstrations do the task. Deterministic for a task file.
/// </summary>
public static class FunctionVectorAnalysis
{
    /// <summary>
    /// The protocol: (1) clean prompts = the task's demos + each query; corrupted = the task's own
    /// corrupted prompts, or the demos' labels shuffled with <see cref="FunctionVectorOptions.ShuffleSeed"/>;
    /// (2) each head's mean <c>hook_z</c> at the last real token over the clean prompts; (3) AIE[l, h]
    /// = mean over prompts of P(answer | corrupted, head (l, h)'s last-token z set to that mean) −
    /// P(answer | corrupted); (4) the function vector = Σ over the top-k heads of mean z · W_O;
    /// (5) zero-shot: the query template alone, the vector added to hook_resid_post of a layer (or each
    /// layer) at the last token, top-1 accuracy and mean P(answer) with and without.
    /// </summary>
    public static FunctionVectorResult Run(HookedTransformer model, IclTask task, FunctionVectorOptions? options = null,
            IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        options ??= new FunctionVectorOptions();
        var cfg = model.Config;
        if (options.TopHeads < 1) throw new IclException($"The function vector needs at least one head (TopHeads = {options.TopHeads}).");
        if (options.Layer is { } layer && (layer < 0 || layer >= cfg.NLayers))
            throw new IclException($"The function vector's layer {layer} is outside 0..{cfg.NLayers - 1} ({cfg.Name} has {cfg.NLayers} layers).");
        var tokenizer = model.Tokenizer;
        var source = options.ShuffleSeed is { } seed ? task with { Corruption = new ShuffleCorruption(seed) } : task;
        var prompts = source.BuildPrompts(tokenizer);
        var answers = prompts.AnswerTokenIds;
        var zeroShotPrompts = task.Queries.Select(task.FormatQuery).ToArray();
        var zeroShotTokens = tokenizer.ToTokens(zeroShotPrompts);
        var zeroShotAnswers = task.Queries.Select((q, i) => task.FirstTokenAnswers
            ? tokenizer.AnswerTokens(zeroShotPrompts[i], task.FormatAnswer(q.Label))[0]
            : tokenizer.AnswerToken(zeroShotPrompts[i], task.FormatAnswer(q.Label))).ToArray();

        var meanTokens = MeanPromptTokens(task, options, tokenizer) ?? prompts.CleanTokens;

        using var scope = NewDisposeScope();
        progress?.Report(WorkProgress.Stage("mean head outputs"));
        var means = HeadMeans.AtLastToken(model, meanTokens);                                      // [layer, head, d_head]
        var cleanPerPrompt = Probabilities(model, prompts.CleanTokens, answers);
        double clean = cleanPerPrompt.Average();
        int grid = cfg.NLayers * cfg.NHeads;
        var report = new Action<int>(b => progress?.Report(
            new WorkProgress("indirect effects", (long)(b + 1) * grid, (long)prompts.Count * grid, WorkProgress.Patches)));
        progress?.Report(new WorkProgress("indirect effects", 0, (long)prompts.Count * grid, WorkProgress.Patches));
        var gridClock = Stopwatch.StartNew();
        var (patched, perPrompt, unpatched) = IndirectEffects.Run(model, prompts.CorruptedTokens, answers, means, report);
        double gridSeconds = gridClock.Elapsed.TotalSeconds;
        double corrupted = unpatched.Average();
        var aie = Enumerable.Range(0, cfg.NLayers)
            .Select(l => (IReadOnlyList<double>)Enumerable.Range(0, cfg.NHeads).Select(h => patched[l * cfg.NHeads + h] - corrupted).ToArray())
            .ToArray();
        int k = Math.Min(options.TopHeads, grid);
        var top = aie.SelectMany((row, l) => row.Select((v, h) => (Layer: l, Head: h, Aie: v)))
            .OrderByDescending(x => x.Aie).ThenBy(x => x.Layer).ThenBy(x => x.Head).Take(k).ToList();
        var vector = FunctionVector.Build(model, means, top.Select(t => (t.Layer, t.Head)).ToList());
        progress?.Report(WorkProgress.Stage("zero-shot test"));
        var layers = options.Layer is { } one ? [one] : Enumerable.Range(0, cfg.NLayers).ToArray();
        var firstToken = ZeroShot.Evaluate(model, zeroShotTokens, zeroShotAnswers, vector, layers);
        progress?.Report(WorkProgress.Stage("zero-shot answers generated"));
        var expected = task.Queries.Select(q => task.FormatAnswer(q.Label)).ToArray();
        var (generatedWithout, generatedWith) = ZeroShot.Generated(model, zeroShotPrompts, expected, vector, layers);
        var exactWithout = GeneratedAnswer.Accuracy(generatedWithout, expected);
        var zeroShot = firstToken
            .Select((z, i) => z with { ExactWithout = exactWithout, ExactWith = GeneratedAnswer.Accuracy(generatedWith[i], expected) }).ToArray();
        string corruption = options.ShuffleSeed is { } s2
            ? $"the demonstrations' labels shuffled with seed {s2}"
            : $"the task's own corruption ({task.Corruption.Kind})";
        var gridResult = new PatchResult
        {
            Target = "function_vector_aie",
            Axes = [PatchAxis.Layer, PatchAxis.Head],
            Shape = [cfg.NLayers, cfg.NHeads],
            Labels = [Enumerable.Range(0, cfg.NLayers).Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                      Enumerable.Range(0, cfg.NHeads).Select(h => h.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()],
            Values = patched,
            CleanBaseline = clean,
            CorruptedBaseline = corrupted,
            PerPrompt = Enumerable.Range(0, grid).Select(c => (IReadOnlyList<double>)perPrompt.Select(p => p[c]).ToArray()).ToArray(),
            CleanPerPrompt = cleanPerPrompt,
            CorruptedPerPrompt = unpatched,
            Settings = new PatchSettings(cfg.Name, model.Processing, cfg.DType, PatchEngineKind.FunctionVector,
                "P(answer) at each prompt's last real token, softmax over the full vocabulary; " +
                "the head's hook_z at the last token set to its mean over the clean prompts",
                MetricUnit.Probability, MetricRead.LastToken, prompts.Replay),   // which corruption: FunctionVectorResult.Corruption
            Seconds = gridSeconds,                                                  // the corrupted run with cache and every patched row
            ForwardPasses = prompts.Count,
        };
        var effects = Enumerable.Range(0, grid)
            .Select(c => (IReadOnlyList<double>)perPrompt.Select((p, b) => p[c] - unpatched[b]).ToArray()).ToArray();
        var intervals = new Statistics.Bootstrap().Cells(effects, null, null);
        return new FunctionVectorResult
        {
            Grid = gridResult,
            Aie = aie,
            AieIntervals = Enumerable.Range(0, cfg.NLayers)
                .Select(l => (IReadOnlyList<Statistics.Interval>)intervals.Skip(l * cfg.NHeads).Take(cfg.NHeads).ToArray()).ToArray(),
            TopHeads = top,
            Vector = vector,
            ZeroShot = zeroShot,
            ZeroShotPrompts = zeroShotPrompts,
            CleanProbability = clean,
            CorruptedProbability = corrupted,
            Corruption = corruption,
            Options = options,
            Definition = $"Function vectors (Todd et al. 2024): clean = the task's demonstrations + each query; corrupted = {corruption}. " +
                (options.MeanPrompts is { } m
                    ? $"Mean hook_z of every head at the last real token over {m} other clean prompts sampled from the dataset (seed + 1); "
                    : "Mean hook_z of every head at the last real token over the clean prompts; ") +
                "AIE[l, h] = mean over prompts of P(answer | corrupted with head (l, h)'s last-token z set to that mean) " +
                "− P(answer | corrupted), " +
                "P = softmax probability of the answer token at the last real token. " +
                $"The vector = Σ over the top {k} heads of mean z · W_O " +
                "(no b_O; the original code adds b_O once per head where the output projection has a bias). " +
                "Zero-shot: the query template alone, the vector added to hook_resid_post at the last token of " +
                $"{(options.Layer is { } L ? $"layer {L}" : "each layer in turn")}: first-token accuracy and P(answer) from one forward; " +
                "and by generation (greedy, stopping at a line break; the vector added at the prompt's last token and every generated " +
                "token), exact match (the first line, trimmed, is the expected answer as a whole word), with a 95% bootstrap interval over the " +
                "prompts. Exact (no approximation).",
        };
    }

    /// <summary>
    /// The clean prompts the means are taken over when <see cref="FunctionVectorOptions.MeanPrompts"/> asks for their own:
    /// the dataset sampled again with as many prompts and the next seed (so the two samples differ), demonstrations as the
    /// task's. Null otherwise.
    /// </summary>
    /// <remarks>Public for benchmarks that check the batched grid against a reference on the same means.</remarks>
    public static Tokenization.TokenBatch? MeanPromptTokens(IclTask task, FunctionVectorOptions options, Tokenization.ModelTokenizer tokenizer)
    {
        if (options.MeanPrompts is not { } n) return null;
        if (n < 1) throw new IclException($"The function vector's mean needs at least one prompt (MeanPrompts = {n}).");
        var origin = task.Origin ?? throw new IclException($"Task '{task.Name}' is hand-written: the heads' means are taken over its own " +
            "prompts; --mean-prompts samples a dataset task's.");
        var sample = Icl.Datasets.DatasetTask.Resample(task, origin.Sampling with { Prompts = n, Seed = origin.Sampling.Seed + 1 });
        int shots = sample.DemosOf(0).Count;
        return tokenizer.ToTokens(Enumerable.Range(0, sample.Queries.Count).Select(q => sample.PromptText(q, shots)).ToArray());
    }

    /// <summary>Mean softmax probability of each prompt's answer at its last real token.</summary>
    internal static double Probability(HookedTransformer model, Tokenization.TokenBatch prompts, IReadOnlyList<int> answers) =>
        Probabilities(model, prompts, answers).Average();

    /// <summary>Each prompt's softmax probability of its answer at its last real token.</summary>
    internal static double[] Probabilities(HookedTransformer model, Tokenization.TokenBatch prompts, IReadOnlyList<int> answers)
    {
        var result = new double[prompts.Count];
        foreach (var (start, part) in prompts.Chunks(HeadMeans.BatchTokens))               // memory flat in the number of prompts
        {
            using var scope = NewDisposeScope();
            using var tokens = part.ToTensor(model.ModelDevice);
            var read = tensor(part.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
            var probs = model.Run(tokens, new ForwardOptions { UnembedPositions = read }).softmax(-1).to(ScalarType.Float64).cpu(); // [batch, d_vocab]
            for (int b = 0; b < part.Count; b++) result[start + b] = probs[b, answers[start + b]].item<double>();
        }
        return result;
    }
}
