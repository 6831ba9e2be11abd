using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>Each head's mean output (<c>hook_z</c>) at the prompts' last real tokens (Todd et al.'s task-conditioned mean activation).</summary>
public static class HeadMeans
{
    /// <summary>Padded tokens per forward: the prompts stream through in runs of this size, so memory does not grow with their number.</summary>
    public const int BatchTokens = 4096;

    /// <summary>
    /// Mean over <paramref name="prompts"/> of <c>blocks.{l}.attn.hook_z[b, last_b, h, :]</c>:
    /// [n_layers, n_heads, d_head], owned by the caller's dispose scope. The prompts go through in runs of at most
    /// <see cref="BatchTokens"/> padded tokens; a hook adds each run's last-token rows to a float64 sum, nothing is cached.
    /// </summary>
    public static Tensor AtLastToken(HookedTransformer model, TokenBatch prompts, int batchTokens = BatchTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new IclException("The heads' mean output needs at least one prompt.");
        var cfg = model.Config;
        var sum = zeros([cfg.NLayers, cfg.NHeads, cfg.DHead], dtype: ScalarType.Float64, device: model.ModelDevice);
        using (no_grad())
        {
            foreach (var (_, part) in prompts.Chunks(batchTokens))
            {
                using var scope = NewDisposeScope();
                using var tokens = part.ToTensor(model.ModelDevice);
                var rows = arange(part.Count, device: model.ModelDevice);
                var last = tensor(part.LastPositions.Select(p => (long)p).ToArray(), device: model.ModelDevice);
                var hooks = Enumerable.Range(0, cfg.NLayers).Select(l => (HookName.Z(l), (HookFunction)((z, _) =>
                {
                    var atLast = z.index([TensorIndex.Tensor(rows), TensorIndex.Tensor(last)]).to(ScalarType.Float64).sum([0]);
                    sum[l].add_(atLast, Runtime.HeldScalars.One);
                    return null;
                }))).ToArray();
                using (model.Hooks(hooks)) model.Run(tokens, new ForwardOptions { UnembedPositions = last }).Dispose();
            }
        }
        using (sum) return sum.div(prompts.Count).to(ScalarType.Float32);                          // [layer, head, d_head]
    }
}
