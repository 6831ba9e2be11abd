using IclNotebook.Patching;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// P(answer | corrupted prompt with one head's last-token output set to its mean) for every head,
/// batched: patching a head at a prompt's last token changes nothing before that token, so each
/// prompt's variants recompute only its last position, through every layer, on top of the corrupted
/// run's cached keys and values, all heads of all layers in one batch (plus one unpatched row).
/// </summary>
internal static class IndirectEffects
{
    /// <summary>Rows per batched forward: bounds the [rows, d_vocab] logits and per-row attention.</summary>
    private const int MaxRows = 192;

    /// <summary>
    /// Returns (patched [layer, head] mean P(answer), per prompt [prompt][layer*head], unpatched per prompt).
    /// <paramref name="means"/>: [layer, head, d_head].
    /// </summary>
    public static (double[] Patched, double[][] PerPrompt, double[] Unpatched) Run(HookedTransformer model, TokenBatch corrupted,
            IReadOnlyList<int> answers, Tensor means, Action<int>? promptDone = null, int batchTokens = HeadMeans.BatchTokens)
    {
        var cfg = model.Config;
        int layers = cfg.NLayers, heads = cfg.NHeads, grid = layers * heads, n = corrupted.Count;
        using var noGrad = no_grad();
        string keys(int l) => HookName.AttendedKeys(cfg.IsRotary, l);
        var wanted = new HashSet<string>(StringComparer.Ordinal) { HookName.ResidPre(0) };
        for (int l = 0; l < layers; l++) { wanted.Add(keys(l)); wanted.Add(HookName.V(l)); }
        var perPrompt = new double[n][];
        var unpatched = new double[n];
        // The corrupted prompts' keys and values are cached a run of prompts at a time: memory does not grow with their number.
        foreach (var (offset, part) in corrupted.Chunks(batchTokens))
        {
            using var scope = NewDisposeScope();
            using var tokens = part.ToTensor(model.ModelDevice);
            var (logits, cache) = model.RunWithCache(tokens, wanted.Contains,
                new ForwardOptions { UnembedPositions = tensor(part.LastPositions.Select(p => (long)p).ToArray()) });
            using var _ = cache;
            logits.Dispose();
            for (int i = 0; i < part.Count; i++)
            {
                int b = offset + i;
                int t = part.LastPositions[i];
                var probs = new double[grid + 1];
                // Row r < grid patches head r % heads of layer r / heads; row grid is the unpatched baseline.
                for (int start = 0; start <= grid; start += MaxRows)
                {
                    int rows = Math.Min(MaxRows, grid + 1 - start);
                    using var chunk = NewDisposeScope();
                    var resid = cache[HookName.ResidPre(0)][i, t].reshape(1, 1, -1).expand(rows, 1, -1).contiguous(); // [rows, 1, d_model]
                    // One prefix shared by every row (batch 1): attention reads it without a copy per row.
                    (Tensor K, Tensor V)? Past(int l) => t == 0 ? null : (
                        cache[keys(l)][i, ..t].unsqueeze(0),                                        // [1, t, kv_head, d_head]
                        cache[HookName.V(l)][i, ..t].unsqueeze(0));
                    var hooks = new List<(string, HookFunction)>();
                    for (int l = 0; l < layers; l++)
                    {
                        int first = Math.Max(l * heads, start), end = Math.Min((l + 1) * heads, start + rows);
                        if (first >= end) continue;
                        var rowIndex = arange(first - start, end - start, dtype: int64, device: model.ModelDevice);
                        var headIndex = arange(first - l * heads, end - l * heads, dtype: int64, device: model.ModelDevice);
                        var value = means[l].index_select(0, headIndex);                              // [patched rows, d_head]
                        hooks.Add((HookName.Z(l), (act, _) =>
                        {
                            var patched = act.clone();                                                 // [rows, 1, head, d_head]
                            patched.index_put_(value, TensorIndex.Tensor(rowIndex), TensorIndex.Single(0), TensorIndex.Tensor(headIndex));
                            return patched;
                        }));
                    }
                    Tensor rowLogits;
                    using (model.Hooks([.. hooks]))
                    {
                        var readPositions = zeros([rows, 1], dtype: int64);                             // [rows, 1]: each row's only position
                        var rowPositions = cfg.IsRotary
                            ? tensor(Enumerable.Repeat((long)t, rows).ToArray(), [rows, 1], device: model.ModelDevice) // [rows, 1]: position t
                            : null;
                        rowLogits = SegmentForward.Run(model, resid, 0, Past, readPositions, positions: rowPositions);      // [rows, 1, d_vocab]
                    }
                    var p = rowLogits.squeeze(1).softmax(-1)[.., answers[b]].to(float64).cpu().data<double>().ToArray();
                    Array.Copy(p, 0, probs, start, rows);
                }
                perPrompt[b] = probs[..grid];
                unpatched[b] = probs[grid];
                promptDone?.Invoke(b);
            }
        }
        var mean = Enumerable.Range(0, grid).Select(i => perPrompt.Average(r => r[i])).ToArray();
        return (mean, perPrompt, unpatched);
    }
}
