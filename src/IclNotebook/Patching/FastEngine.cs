using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Patching;

/// <summary>
/// Exact activation patching with far less work than <see cref="ReferenceEngine"/>, same numbers:
/// <list type="bullet">
/// <item>A patch that changes nothing (clean slice == corrupted slice) yields the corrupted baseline, with no forward.</item>
/// <item>A patch at layer l whose first changed position is s starts from the corrupted run's
///   cached residual stream at layer l and recomputes only positions s.. : causal attention means
///   earlier positions are untouched, so every later layer reuses the corrupted run's keys and
///   values for them.</item>
/// <item>Only the metric's read positions are unembedded.</item>
/// <item>Many patches of one layer go through one batched forward, within a memory budget.</item>
/// </list>
/// </summary>
public sealed class FastEngine(FastEngineOptions? options = null) : PatchingEngine
{
    private readonly FastEngineOptions _options = options ?? new FastEngineOptions();

    public override string Name => "fast";

    private sealed record Variant(int Flat, int[] Index, int Start);

    protected override (double[] Values, long Forwards, double Flop) RunTarget(PatchingSetup setup, PatchTarget target, IProgress<PatchProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(target);
        var shape = target.Shape(setup.Model.Config, setup.NPos);
        var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
        var variants = Plan(setup, target, shape, values);
        long done = values.Length - variants.Count, forwards = 0;
        double flop = 0;
        var cfg = setup.Model.Config;
        progress?.Report(new PatchProgress(target.Name, done, values.Length));
        foreach (var chunk in Chunks(setup, variants))
        {
            ct.ThrowIfCancellationRequested();
            var results = RunChunk(setup, target, chunk);
            for (int i = 0; i < chunk.Count; i++) values[chunk[i].Flat] = results[i];
            forwards++;
            int layer = chunk[0].Index[0], seg = setup.NPos - chunk[0].Start;
            double rows = (double)chunk.Count * setup.Clean.Count;
            flop += FlopCount.Blocks(cfg, rows * seg, chunk[0].Start + seg / 2.0, cfg.NLayers - layer) + FlopCount.Unembed(cfg, rows);
            done += chunk.Count;
            progress?.Report(new PatchProgress(target.Name, done, values.Length));
        }
        return (values, forwards, flop);
    }

    /// <summary>Variants that change something, by layer then start; no-ops get the corrupted baseline now.</summary>
    private static List<Variant> Plan(PatchingSetup setup, PatchTarget target, long[] shape, double[] values)
    {
        var variants = new List<Variant>();
        var differs = new Dictionary<int, Tensor>();
        try
        {
            int flat = 0;
            foreach (var index in Indices(shape))
            {
                int layer = index[0];
                if (!differs.TryGetValue(layer, out var d))
                {
                    string hook = target.HookName(layer);
                    differs[layer] = d = setup.CleanCache[hook].ne(setup.CorruptedCache[hook]);
                }
                int? start = target.FirstChangedPosition(d, index);
                if (start is null) values[flat] = setup.CorruptedBaseline;
                else variants.Add(new Variant(flat, index, start.Value));
                flat++;
            }
        }
        finally
        {
            foreach (var d in differs.Values) d.Dispose();
        }
        return variants.OrderBy(v => v.Index[0]).ThenBy(v => v.Start).ToList();
    }

    /// <summary>Groups same-layer variants with nearby starts into batches that fit the memory budget.</summary>
    private IEnumerable<List<Variant>> Chunks(PatchingSetup setup, List<Variant> variants)
    {
        var cfg = setup.Model.Config;
        int n = setup.NPos, batch = setup.Clean.Count;
        // Bytes per (row, position) inside one block: residual-stream tensors, MLP activations, attention rows.
        double bytesPerToken = 4.0 * (12.0 * cfg.DModel + 10.0 * cfg.DMlp + 6.0 * cfg.NHeads * n);
        long tokenBudget = Math.Max(1, (long)(_options.BatchMemoryMb * 1024.0 * 1024.0 / bytesPerToken));
        var chunk = new List<Variant>();
        foreach (var v in variants)
        {
            if (chunk.Count > 0)
            {
                var first = chunk[0];
                int seg = n - first.Start;
                bool sameLayer = v.Index[0] == first.Index[0];
                bool near = v.Start - first.Start <= Math.Max(1, _options.MaxStartSpread * seg);
                bool fits = (long)(chunk.Count + 1) * batch * seg <= tokenBudget;
                if (!(sameLayer && near && fits)) { yield return chunk; chunk = new List<Variant>(); }
            }
            chunk.Add(v);
        }
        if (chunk.Count > 0) yield return chunk;
    }

    /// <summary>One batched forward: every variant's rows start at the chunk's first start position.</summary>
    private static double[] RunChunk(PatchingSetup setup, PatchTarget target, List<Variant> chunk)
    {
        var model = setup.Model;
        int layer = chunk[0].Index[0], t0 = chunk[0].Start, batch = setup.Clean.Count, nVariants = chunk.Count;
        string hook = target.HookName(layer);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var resid = setup.CorruptedCache[$"blocks.{layer}.hook_resid_pre"][.., t0..].repeat(nVariants, 1, 1); // [variants*batch, seg, d_model]
        (Tensor K, Tensor V)? Past(int l)
        {
            if (t0 == 0) return null;
            var k = setup.CorruptedCache[$"blocks.{l}.attn.hook_k"][.., ..t0].repeat(nVariants, 1, 1, 1); // [rows, t0, head, d_head]
            var v = setup.CorruptedCache[$"blocks.{l}.attn.hook_v"][.., ..t0].repeat(nVariants, 1, 1, 1);
            return (k, v);
        }

        var clean = setup.CleanCache[hook];
        var cleanSegment = target.PositionDim == 1 ? clean[.., t0..] : clean[.., .., t0..]; // segment positions of the clean run
        Tensor? Patch(Tensor act, Hooks.HookPoint _)
        {
            var patched = act.clone();
            for (int v = 0; v < nVariants; v++)
            {
                var at = target.ActivationIndex(chunk[v].Index, (int)act.dim(), positionOffset: t0);
                var rows = at.ToArray();
                rows[0] = TensorIndex.Slice(v * batch, (v + 1) * batch);
                patched[rows] = cleanSegment[at];
            }
            return patched;
        }

        var read = setup.Metric.ReadPositions;
        var readRel = tensor(Enumerable.Range(0, nVariants).SelectMany(_ => read.Select(r => (long)Math.Max(r - t0, 0))).ToArray(), dtype: ScalarType.Int64);
        Tensor logits;
        using (model.Hooks((hook, Patch)))
            logits = model.ForwardSegment(resid, layer, Past, readRel);                          // [rows, d_vocab]
        var answers = tensor(Enumerable.Range(0, nVariants).SelectMany(_ => setup.Metric.AnswerIds.Select(a => (long)a)).ToArray(), dtype: ScalarType.Int64, device: logits.device);
        var perRow = logits.log_softmax(-1).gather(1, answers.view(-1, 1)).squeeze(1).to(float64).cpu().data<double>().ToArray();

        var result = new double[nVariants];
        var corruptedPerPrompt = setup.CorruptedPerPrompt;
        for (int v = 0; v < nVariants; v++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
                sum += read[b] >= t0 ? perRow[v * batch + b] : corruptedPerPrompt[b]; // a read before the segment is unchanged
            result[v] = sum / batch;
        }
        return result;
    }
}
