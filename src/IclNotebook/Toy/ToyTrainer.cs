using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Progress;
using IclNotebook.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclNotebook.Toy;

/// <summary>
/// Trains the toy in-context model: a small GPT-2 (the kit's own <see cref="HookedTransformer"/>
/// with raw weights, GPT-2's tokenizer and vocabulary, the unembedding tied to the embedding as in
/// GPT-2) on <see cref="AssociativeRecall"/>, with AdamW. Each step draws the number of
/// demonstrations (<see cref="DemoCurriculum"/>) and a few blank lines before them, then a batch of
/// fresh sequences (a new input -> label mapping each, some demonstrations repeating an earlier
/// input); the loss is the cross-entropy of every label the context determines (a repeated
/// demonstration's, the query's answer). Training runs on the rows of the vocabulary the task uses
/// plus a seeded sample of competitors (<see cref="TrainingVocabulary"/>), which are written back
/// into the full 50,257-row model that is measured and returned. Seeded: the data (SplitMix64) and
/// the initial weights are functions of the seed, and a short run repeats bit for bit; libtorch's
/// CPU kernels do not promise one summation order from run to run, so over thousands of steps two
/// runs drift apart in the last bits and their curves differ in detail (three runs of the shipped
/// command: stopped at steps 12,500, 10,000 and 11,500; written weights 100.0%, 99.8%, 100.0% held-out).
/// </summary>
public static class ToyTrainer
{
    /// <summary>
    /// Trains a model. <paramref name="progress"/> gets a report per step; <paramref name="curve"/>
    /// a point every <see cref="ToyTrainingOptions.EvalEvery"/> steps and at the end (held-out
    /// accuracy on seeds the training never draws). Cancelling stops between steps.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "The model is returned in the run, or disposed in the catch with the local copy.")]
    public static ToyTrainingRun Train(ToyTrainingOptions options, IProgress<WorkProgress>? progress = null,
        IProgress<ToyTrainingPoint>? curve = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Runtime.TorchRuntime.EnsureLoaded();
        var tokenizer = new Gpt2Tokenizer();
        var layout = new RecallTokens(options.Task with { Labels = options.TrainingLabels }, tokenizer);
        var cfg = new ModelConfig($"toy-icl-{options.Layers}l", options.Layers, options.DModel, options.Heads,
            options.DModel / options.Heads, options.DMlp, 50257, options.Context, 1e-5);
        var model = new HookedTransformer(cfg, WeightProcessing.Raw, CPU, tokenizer);
        HookedTransformer? local = null;
        using var heap = Runtime.NativeHeap.ReuseFreedMemory();
        try
        {
            Initialise(model, options);
            var vocab = new TrainingVocabulary(layout.All, cfg.DVocab, options.Negatives, options.Seed);
            local = new HookedTransformer(cfg with { DVocab = vocab.Count }, WeightProcessing.Raw, CPU, tokenizer);
            using var rows = vocab.GlobalIds();
            Gather(model, local, rows);
            var parameters = Trained(local);
            var heldOutSet = HeldOutMappings(options);
            var decay = parameters.Where(p => Decays(p.Name)).Select(p => p.Parameter).ToArray();
            var noDecay = parameters.Where(p => !Decays(p.Name)).Select(p => p.Parameter).ToArray();
            using var optimizer = optim.AdamW(
            [
                new AdamW.ParamGroup(decay, lr: options.LearningRate, weight_decay: options.WeightDecay),
                new AdamW.ParamGroup(noDecay, lr: options.LearningRate, weight_decay: 0),
            ], lr: options.LearningRate, beta1: 0.9, beta2: 0.98, eps: 1e-8);
            var all = parameters.Select(p => p.Parameter).ToArray();
            var embedding = Embedding(local);

            var curriculum = new DemoCurriculum(options);
            var points = new List<ToyTrainingPoint>();
            var watch = new Stopwatch();
            double lossSum = 0;
            int lossCount = 0, overlap = 0;
            for (int step = 1; step <= options.Steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                watch.Start();
                var (tokens, targets, labels, keys) = Batch(options, layout, vocab, step, curriculum.Most);
                overlap += keys.Count(heldOutSet.Contains);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(options, step);
                using (var scope = NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var normed = local.Normalized(tokens).view(-1, options.DModel).index_select(0, targets); // [targets, d_model]
                    var logits = normed.matmul(embedding.t());                       // tied unembedding over the trained rows: [targets, rows]
                    var loss = nn.functional.cross_entropy(logits, labels);
                    loss.backward();
                    nn.utils.clip_grad_norm_(all, 1.0);
                    optimizer.step();
                    lossSum += loss.item<float>();
                    lossCount++;
                    curriculum.Observe(logits.argmax(1).eq(labels).sum().item<long>() / (double)labels.shape[0]);
                }
                tokens.Dispose(); targets.Dispose(); labels.Dispose();
                watch.Stop();
                progress?.Report(new WorkProgress("train toy model", step, options.Steps, WorkProgress.Steps));
                if (step % options.EvalEvery == 0 || step == options.Steps)
                {
                    Scatter(local, model, rows);
                    var measured = RecallAccuracy.Measure(model, options.Task, options.HeldOut);
                    double meanLoss = lossSum / lossCount;
                    var point = new ToyTrainingPoint(step, meanLoss, curriculum.Most, measured.Accuracy, measured.Loss, watch.Elapsed.TotalSeconds);
                    points.Add(point);
                    curve?.Report(point);
                    lossSum = 0;
                    lossCount = 0;
                    if (options.StopAt > 0 && curriculum.Most == options.MaxDemos && measured.Accuracy >= options.StopAt) break;
                }
            }
            local.Dispose();
            return new ToyTrainingRun(model, options, points, watch.Elapsed.TotalSeconds, overlap);
        }
        catch
        {
            local?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The initial weights (see <see cref="InitialStd"/>; norms 1, biases 0, W_pos sinusoidal) from a seeded
    /// generator, unembedding tied.
    /// </summary>
    private static void Initialise(HookedTransformer model, ToyTrainingOptions options)
    {
        using var generator = new Generator((ulong)options.Seed);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;   // tied to W_E below
            if (name.EndsWith(".w", StringComparison.Ordinal)) p.fill_(1.0);           // norm weights
            else if (IsBias(name)) p.zero_();
            else if (name == "pos_embed.W_pos") p.copy_(Sinusoids(p.shape[0], p.shape[1]).mul_(InitialStd(name, options)));
            else
            {
                double std = InitialStd(name, options);
                using var sample = randn(p.shape, generator: generator);
                p.copy_(sample.mul_(std));
            }
        }
        TieUnembedding(model);
    }

    /// <summary>The full model's weights into the training model: its embedding rows <paramref name="rows"/>, everything else as is.</summary>
    private static void Gather(HookedTransformer full, HookedTransformer local, Tensor rows)
    {
        using var noGrad = no_grad();
        var source = full.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in local.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;
            if (name == "embed.W_E") { using var picked = source[name].index_select(0, rows); p.copy_(picked); }
            else p.copy_(source[name]);
        }
        TieUnembedding(local);
    }

    /// <summary>The training model's weights back into the full model (embedding rows <paramref name="rows"/>), unembedding tied.</summary>
    private static void Scatter(HookedTransformer local, HookedTransformer full, Tensor rows)
    {
        using var noGrad = no_grad();
        var target = full.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in local.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;
            if (name == "embed.W_E") target[name].index_copy_(0, rows, p);
            else target[name].copy_(p);
        }
        TieUnembedding(full);
    }

    /// <summary>The parameters AdamW trains (all but the unembedding, which is W_E^T in the loss), with grad on.</summary>
    private static List<(string Name, Parameter Parameter)> Trained(HookedTransformer local)
    {
        var trained = new List<(string, Parameter)>();
        foreach (var (name, p) in local.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;
            p.requires_grad_(true);
            trained.Add((name, p));
        }
        return trained;
    }

    /// <summary>
    /// The sinusoidal position table (Vaswani et al. 2017) with unit standard deviation (scaled like
    /// the token embedding by the caller): W_pos is still learned, but starts with a shift structure (the table at p + 1 is a
    /// fixed rotation of the table at p), so a head can learn "attend to the previous token" with a
    /// linear map instead of discovering positions first.
    /// </summary>
    private static Tensor Sinusoids(long positions, long width)
    {
        var table = new float[positions * width];
        for (long p = 0; p < positions; p++)
            for (long i = 0; i < width; i++)
            {
                double angle = p / Math.Pow(10000, 2.0 * (i / 2) / width);
                table[p * width + i] = (float)(Math.Sqrt(2) * (i % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle)));
            }
        return tensor(table, [positions, width]);
    }

    /// <summary>
    /// Every matrix 1 / sqrt(fan-in) (embeddings: 1 / sqrt(d_model)), output projections divided by
    /// sqrt(2 layers) as GPT-2 does. GPT-2's flat 0.02 is about 1 / sqrt(768): at d_model 64 it made
    /// attention scores ~0.1 (every pattern uniform) and, with embeddings at 0.02, the blocks' outputs
    /// drowned each token's identity; recall was not learned even with two demonstrations.
    /// </summary>
    private static double InitialStd(string name, ToyTrainingOptions options)
    {
        double output = 1 / Math.Sqrt(2.0 * options.Layers);
        if (name.EndsWith("W_O", StringComparison.Ordinal)) return output / Math.Sqrt(options.DModel);
        if (name.EndsWith("W_out", StringComparison.Ordinal)) return output / Math.Sqrt(options.DMlp);
        return 1 / Math.Sqrt(options.DModel);
    }

    private static bool IsBias(string name)
    {
        var last = name[(name.LastIndexOf('.') + 1)..];
        return last == "b" || last.StartsWith("b_", StringComparison.Ordinal);
    }

    /// <summary>AdamW decays the matrices (attention, MLP, embeddings), not biases or norm weights.</summary>
    private static bool Decays(string name) => !IsBias(name) && !name.EndsWith(".w", StringComparison.Ordinal);

    private static TorchSharp.Modules.Parameter Embedding(HookedTransformer model) =>
        model.named_parameters().First(p => p.name == "embed.W_E").parameter;

    /// <summary>Copies W_E^T into the model's unembedding (b_U stays zero), so the model's own forward is the trained, tied model.</summary>
    private static void TieUnembedding(HookedTransformer model)
    {
        using var noGrad = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        parameters["unembed.W_U"].copy_(parameters["embed.W_E"].t());
        parameters["unembed.b_U"].zero_();
    }

    /// <summary>Linear warm-up to the peak, then cosine decay to a tenth of it at the last step.</summary>
    internal static double LearningRate(ToyTrainingOptions options, int step)
    {
        if (step <= options.WarmupSteps) return options.LearningRate * step / options.WarmupSteps;
        double t = (double)(step - options.WarmupSteps) / Math.Max(1, options.Steps - options.WarmupSteps);
        return options.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }

    /// <summary>
    /// Step <paramref name="step"/>'s batch: its demonstration count and blank lines, then one fresh sequence per row
    /// (seeds below the held-out range); the targets are the flat [batch * pos] indices where the
    /// context determines the next token (repeated demonstrations' labels and the query's answer).
    /// </summary>
    private static (Tensor Tokens, Tensor Targets, Tensor Labels, string[] Keys) Batch(ToyTrainingOptions options, RecallTokens layout,
            TrainingVocabulary vocab, int step, int most)
    {
        var draw = new SplitMix64(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        int demos = options.MinDemos + draw.NextInt(most - options.MinDemos + 1);
        var task = options.Task with { Demos = demos, Repeats = options.Repeats, Labels = options.TrainingLabels };
        int blank = draw.NextInt(options.BlankLines + 1);
        int length = RecallTokens.Length(demos, blank), batch = options.BatchSize;
        var flat = new long[batch * length];
        var targets = new List<long>();
        var labels = new List<long>();
        var keys = new string[batch];
        for (int i = 0; i < batch; i++)
        {
            ulong seed = draw.Next() % ToyTrainingOptions.HeldOutSeeds;
            var sequence = task.Sequence(seed);
            var tokens = layout.Of(sequence, blank).Tokens;
            for (int t = 0; t < length; t++) flat[i * length + t] = vocab.Local(tokens[t]);
            foreach (var (position, label) in layout.Targets(sequence, blank))
            {
                targets.Add((long)i * length + position);
                labels.Add(vocab.Local(label));
            }
            keys[i] = MappingKey(sequence);
        }
        return (tensor(flat, [batch, length]), tensor(targets.ToArray()), tensor(labels.ToArray()), keys);
    }

    private static HashSet<string> HeldOutMappings(ToyTrainingOptions options) =>
        options.Task.Sequences(options.HeldOut, ToyTrainingOptions.HeldOutSeeds).Select(MappingKey).ToHashSet(StringComparer.Ordinal);

    /// <summary>A sequence's demonstrations and query as text: two sequences with the same key are the same example.</summary>
    private static string MappingKey(IclTask sequence) =>
        string.Join(",", sequence.Demos.Select(d => $"{d.Input}={d.Label}")) + "?" + sequence.Queries[0].Input;
}
