using IclNotebook.Generation;
using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Progress;
using IclNotebook.Statistics;
using static TorchSharp.torch;

namespace IclNotebook.TaskVectors;

/// <summary>
/// Task vectors (Hendel et al. 2023, "In-Context Learning Creates Task Vectors"): the residual stream at the last token
/// of a prompt of demonstrations and a dummy query, at layer L, written over the same layer and position of a run of the
/// real query alone, and the model made to answer by generation. Swept over layers, beside the in-context and zero-shot
/// baselines. Deterministic for a task file and model.
/// </summary>
public static class TaskVectorAnalysis
{
    public static TaskVectorResult Run(HookedTransformer model, IclTask task, TaskVectorOptions? options = null,
        IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        options ??= new TaskVectorOptions();
        int nLayers = model.Config.NLayers;
        var layers = options.Layers ?? Enumerable.Range(0, nLayers).ToArray();
        if (layers.Count == 0 || layers.Any(l => l < 0 || l >= nLayers))
            throw new IclException($"Task-vector layers must be among 0..{nLayers - 1} ({model.Config.Name} has {nLayers} layers); " +
                $"got {(layers.Count == 0 ? "none" : string.Join(", ", layers))}.");
        var tokenizer = model.Tokenizer;
        var prompts = Enumerable.Range(0, task.Queries.Count).Select(i => TaskVectorPrompts.Of(task, i)).ToArray();
        var expected = prompts.Select(p => p.Expected).ToArray();
        var answerTokens = prompts.Select(p => tokenizer.AnswerTokens(p.ZeroShot, p.Expected)).ToArray();
        int maxNew = options.MaxNewTokens ?? GeneratedAnswer.TokenBudget(answerTokens.Select(t => t.Length));
        var generation = new GenerationOptions { MaxNewTokens = maxNew, StopStrings = [GeneratedAnswer.LineBreak], BatchSize = options.BatchSize };

        progress?.Report(WorkProgress.Stage("in-context and zero-shot answers"));
        var icl = model.Generate(prompts.Select(p => p.Icl), generation);
        var zero = model.Generate(prompts.Select(p => p.ZeroShot), generation);
        progress?.Report(WorkProgress.Stage("task vectors"));
        using var vectors = Vectors(model, prompts.Select(p => p.Dummy).ToArray(), layers, options.BatchSize);   // [layers, prompts, d_model]
        var patched = new List<IReadOnlyList<Completion>>();
        for (int i = 0; i < layers.Count; i++)
        {
            progress?.Report(new WorkProgress("patched answers", i, layers.Count, "layers"));
            using var layerVectors = vectors[i];
            using var overwrite = model.Overwrite(HookName.ResidPre(layers[i]), layerVectors, SteeringPositions.PromptEnd);
            patched.Add(model.Generate(prompts.Select(p => p.ZeroShot), generation));
        }
        progress?.Report(new WorkProgress("patched answers", layers.Count, layers.Count, "layers"));

        var bootstrap = new Bootstrap();
        Interval Exact(IReadOnlyList<Completion> c) => GeneratedAnswer.Accuracy(c, expected);
        Interval First(IReadOnlyList<Completion> c) =>
            bootstrap.Mean(c.Select((x, i) => x.Tokens.Length > 0 && x.Tokens[0] == answerTokens[i][0] ? 1.0 : 0.0).ToArray());
        return new TaskVectorResult
        {
            Layers = layers.Select((l, i) => new TaskVectorLayer(l, Exact(patched[i]), First(patched[i]))).ToArray(),
            IclAccuracy = Exact(icl),
            IclFirstToken = First(icl),
            ZeroShotAccuracy = Exact(zero),
            ZeroShotFirstToken = First(zero),
            Prompts = prompts.Select((p, i) => new TaskVectorPrompt(p.Query, p.Expected, p.DummyQuery, icl[i].Text ?? "", zero[i].Text ?? "",
                patched.Select(c => c[i].Text ?? "").ToArray())).ToArray(),
            MaxNewTokens = maxNew,
            Options = options,
            Definition = "Task vectors (Hendel et al. 2023): for each query, its demonstrations followed by a dummy query (the first of " +
                "its demonstrations whose input differs from the query's, in the query template) are run, and hook_resid_pre of layer L " +
                "at the last token is kept (Hendel et al.'s hidden state after layer L - 1; they average two dummy queries, here one); " +
                "the query alone (the query template, BOS as the family prepends it) is then run with " +
                "hook_resid_pre of layer L at its last token replaced by that vector, and the model generates greedily " +
                $"(at most {maxNew} tokens, stopping at a line break or the end-of-sequence token). Accuracy = exact match: the " +
                "generated first line, trimmed, is the expected answer, trimmed, as a whole word (more may follow after a space or " +
                "a final punctuation mark); first-token accuracy beside it. Baselines: the " +
                "demonstrations and the real query (in context), and the query alone unpatched (zero-shot). Intervals: 95% " +
                "percentile bootstrap over prompts (1000 resamples, seed 0).",
        };
    }

    /// <summary>hook_resid_pre of each layer at each prompt's last token, [layers, prompts, d_model] float32.</summary>
    private static Tensor Vectors(HookedTransformer model, string[] texts, IReadOnlyList<int> layers, int batchSize)
    {
        var batch = model.Tokenizer.ToTokens(texts);
        var result = zeros(layers.Count, texts.Length, model.Config.DModel, device: model.ModelDevice).DetachFromDisposeScope();
        using var noGrad = no_grad();
        for (int start = 0; start < batch.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var part = batch.Rows(start, Math.Min(batchSize, batch.Count - start));
            var tokens = part.ToTensor(model.ModelDevice);
            var last = tensor(part.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
            var rows = Runtime.HeldScalars.Range(0, part.Count, model.ModelDevice);
            var hooks = layers.Select((l, i) => (HookName.ResidPre(l), (HookFunction)((act, _) =>
            {
                result[i].narrow(0, start, part.Count).copy_(act.index([TensorIndex.Tensor(rows), TensorIndex.Tensor(last)]));
                return null;
            }))).ToArray();
            using var attached = model.Hooks(hooks);
            model.Run(tokens, new ForwardOptions { UnembedPositions = last });
        }
        return result;
    }
}
