using System.Diagnostics;
using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Progress;
using IclNotebook.Runtime;
using IclNotebook.TaskVectors;
using IclNotebook.Tokenization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclNotebook.Toy;

/// <summary>
/// Trains the task-vector toy (<see cref="TaskToyOptions"/>): the associative-recall toy's architecture, initialisation,
/// tied embedding, sampled softmax and optimiser (<see cref="ToyTrainer"/>'s helpers), on sequences of one of several fixed
/// mappings, with two losses per step. The in-context loss scores every label the demonstrations determine (each after
/// the first, and the query's). The task-vector loss takes <c>hook_resid_pre</c> of <see cref="TaskToyOptions.VectorLayer"/> at
/// each sequence's last token (its query is the dummy), writes it over the same layer and position of a run of a fresh query
/// of the same task alone (<c>[BOS] input " ->"</c>), and scores that query's answer; gradients flow through both runs.
/// Without it (weight 0), two- to four-layer models learn the tasks in context but carry no usable task vector (NOTES.md,
/// issue 29). The curve measures the kit's own task-vector analysis (<see cref="TaskVectorAnalysis"/>) on the task files.
/// </summary>
public static class TaskToyTrainer
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "The model is returned in the run, or disposed in the catch with the local copy.")]
    public static TaskToyRun Train(TaskToyOptions options, IProgress<WorkProgress>? progress = null,
        IProgress<TaskToyPoint>? curve = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TorchRuntime.EnsureLoaded();
        var tokenizer = new Gpt2Tokenizer();
        var tasks = options.Tasks.Select(t => IclTask.Load(TaskFiles.Resolve(t))).ToArray();
        var layout = new TaskToyTokens(tasks, tokenizer);
        for (int k = 0; k < tasks.Length; k++)
            if (layout.Pairs(k) < options.MaxDemos + 2)
                throw new IclException($"Task '{tasks[k].Name}' has {layout.Pairs(k)} pairs; a training sequence of {options.MaxDemos} " +
                    "demonstrations needs two more (a dummy query and a fresh query); lower --max-demos.");
        var cfg = new ModelConfig($"toy-tasks-{options.Layers}l", options.Layers, options.DModel, options.Heads,
            options.DModel / options.Heads, options.DMlp, 50257, options.Context, 1e-5);
        var model = new HookedTransformer(cfg, WeightProcessing.Raw, CPU, tokenizer);
        HookedTransformer? local = null;
        using var heap = NativeHeap.ReuseFreedMemory();
        try
        {
            ToyTrainer.Initialise(model, options.Seed);
            var vocab = new TrainingVocabulary(layout.All, cfg.DVocab, options.Negatives, options.Seed);
            local = new HookedTransformer(cfg with { DVocab = vocab.Count }, WeightProcessing.Raw, CPU, tokenizer);
            using var rows = vocab.GlobalIds();
            ToyTrainer.Gather(model, local, rows);
            var parameters = ToyTrainer.Trained(local);
            using var optimizer = optim.AdamW(
            [
                new AdamW.ParamGroup(parameters.Where(p => ToyTrainer.Decays(p.Name)).Select(p => p.Parameter).ToArray(),
                    lr: options.LearningRate, weight_decay: options.WeightDecay),
                new AdamW.ParamGroup(parameters.Where(p => !ToyTrainer.Decays(p.Name)).Select(p => p.Parameter).ToArray(),
                    lr: options.LearningRate, weight_decay: 0),
            ], lr: options.LearningRate, beta1: 0.9, beta2: 0.98, eps: 1e-8);
            var all = parameters.Select(p => p.Parameter).ToArray();
            var embedding = ToyTrainer.Embedding(local);
            string hook = HookName.ResidPre(options.VectorLayer);

            var points = new List<TaskToyPoint>();
            var watch = new Stopwatch();
            double lossSum = 0, vectorLossSum = 0;
            int lossCount = 0;
            for (int step = 1; step <= options.Steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                watch.Start();
                using (var batch = TaskToyBatch.Draw(options, layout, vocab, step))
                using (NewDisposeScope())
                {
                    foreach (var group in optimizer.ParamGroups)
                        group.LearningRate = ToyTrainer.LearningRate(options.LearningRate, options.WarmupSteps, options.Steps, step);
                    optimizer.zero_grad();
                    Tensor? vector = null;
                    Tensor final;
                    using (local.Hooks((hook, (act, _) => { vector = act[.., -1].clone().DetachFromDisposeScope(); return null; })))
                        final = local.Normalized(batch.Tokens);
                    using var task = vector!;
                    var logits = final.view(-1, options.DModel).index_select(0, batch.Targets).matmul(embedding.t());
                    var loss = nn.functional.cross_entropy(logits, batch.Labels);
                    lossSum += loss.item<float>();
                    if (options.VectorWeight > 0)
                    {
                        Tensor alone;
                        using (local.Hooks((hook, (act, _) => Patched(act, task))))
                            alone = local.Normalized(batch.Alone)[.., -1];
                        var vectorLoss = nn.functional.cross_entropy(alone.matmul(embedding.t()), batch.AloneLabels);
                        vectorLossSum += vectorLoss.item<float>();
                        loss = loss.Plus(vectorLoss.Times(options.VectorWeight));
                    }
                    lossCount++;
                    loss.backward();
                    nn.utils.clip_grad_norm_(all, 1.0);
                    optimizer.step();
                }
                watch.Stop();
                progress?.Report(new WorkProgress("train task toy", step, options.Steps, WorkProgress.Steps));
                if (step % options.EvalEvery == 0 || step == options.Steps)
                {
                    ToyTrainer.Scatter(local, model, rows);
                    var point = TaskToyPoint.Measure(model, tasks, options.VectorLayer, step, lossSum / lossCount, vectorLossSum / lossCount,
                        watch.Elapsed.TotalSeconds);
                    points.Add(point);
                    curve?.Report(point);
                    lossSum = vectorLossSum = 0;
                    lossCount = 0;
                }
            }
            local.Dispose();
            return new TaskToyRun(model, options, points, watch.Elapsed.TotalSeconds);
        }
        catch
        {
            local?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>The stream with its last position replaced by the task vector (differentiably: a copy, not in place on the original).</summary>
    private static Tensor Patched(Tensor act, Tensor vector)
    {
        var copy = act.clone();
        copy[.., -1] = vector;
        return copy;
    }
}
