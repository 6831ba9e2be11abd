using System.Diagnostics;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Progress;
using IclNotebook.Tokenization;
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
public static partial class ToyTrainer
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
            Initialise(model, options.Seed);
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

    /// <summary>Linear warm-up to the peak, then cosine decay to a tenth of it at the last step.</summary>
    internal static double LearningRate(ToyTrainingOptions options, int step) =>
        LearningRate(options.LearningRate, options.WarmupSteps, options.Steps, step);

    /// <summary>The schedule for a peak <paramref name="peak"/>, <paramref name="warmup"/> warm-up steps and <paramref name="steps"/> in all.</summary>
    internal static double LearningRate(double peak, int warmup, int steps, int step)
    {
        if (step <= warmup) return peak * step / warmup;
        double t = (double)(step - warmup) / Math.Max(1, steps - warmup);
        return peak * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * t)));
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
