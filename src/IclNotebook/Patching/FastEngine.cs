using IclNotebook.Patching;
using IclNotebook.Hooks;
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

    public override PatchEngineKind Kind => PatchEngineKind.Fast;

    private sealed record Variant(int Flat, int[] Index, int Start);

    /// <summary>
    /// One unit holding every patch that changes nothing (the corrupted baseline, no forward), then
    /// one per batched forward (<see cref="Chunks"/>), in layer then start order.
    /// </summary>
    internal override IReadOnlyList<PatchWork> Plan(PatchingSetup setup, PatchTarget target)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(target);
        var shape = target.Shape(setup.Model.Config, setup.NPos);
        var cfg = setup.Model.Config;
        // The patched hook, and the corrupted run's residual stream, keys (as attention used them) and values the patches start from.
        var caches = setup.CachesFor(target);
        var neededHooks = Enumerable.Range(0, cfg.NLayers)
            .SelectMany(l => new[] { target.HookName(l), HookName.ResidPre(l), HookName.AttendedKeys(cfg.IsRotary, l), HookName.V(l) });
        caches.Ensure(neededHooks);
        int sharedPrefix = SegmentLayout.SharedPrefix(setup.Clean, setup.Corrupted);
        var (variants, unchanged) = Plan(caches, target, shape);
        var work = new List<PatchWork>();
        if (unchanged.Length > 0)
            work.Add(new PatchWork(unchanged, 0, 0, () => unchanged.Select(_ => setup.CorruptedPerPrompt.ToArray()).ToArray()));
        foreach (var chunk in Chunks(setup, target, variants, sharedPrefix))
        {
            int layer = chunk[0].Index[0], t0 = chunk[0].Start;
            double tokens = chunk.Count * (double)SegmentLayout.TokensPerVariant(t0, setup.NPos, setup.Clean.Count, sharedPrefix, Packable(target));
            double flop = Flop(cfg, target, layer, tokens, (double)chunk.Count * setup.Clean.Count, t0 + (setup.NPos - t0) / 2.0);
            work.Add(new PatchWork(chunk.Select(v => v.Flat).ToArray(), flop, 1, () =>
            {
                using var mode = setup.ModeFor(target);
                return RunChunk(setup, caches, target, chunk, sharedPrefix);
            }));
        }
        return work;
    }

    /// <summary>
    /// A batched forward's arithmetic: the blocks from <paramref name="layer"/> on, the last of them only at the
    /// <paramref name="reads"/> read positions past its keys and values (<see cref="SegmentForward"/>)
    /// unless the patch itself is there (a last-layer hook after the keys and values), and the unembedding of the reads.
    /// </summary>
    private static double Flop(ModelConfig cfg, PatchTarget target, int layer, double tokens, double reads, double keyLength)
    {
        int last = cfg.NLayers - 1;
        bool wholeLast = layer == last && target.Activation is not ("resid_pre" or "k" or "v");
        double blocks = wholeLast
            ? FlopCount.Blocks(cfg, tokens, keyLength, 1)
            : FlopCount.Blocks(cfg, tokens, keyLength, last - layer) + FlopCount.BlockAtFewPositions(cfg, tokens, reads, keyLength);
        return blocks + FlopCount.Unembed(cfg, reads);
    }

    /// <summary>Variants that change something, by layer then start; and the indices of patches that change nothing.</summary>
    private static (List<Variant> Variants, int[] Unchanged) Plan(PatchingCaches caches, PatchTarget target, long[] shape)
    {
        var variants = new List<Variant>();
        var unchanged = new List<int>();
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
                    differs[layer] = d = caches.Clean[hook].ne(caches.Corrupted[hook]);
                }
                int? start = target.FirstChangedPosition(d, index);
                if (start is null) unchanged.Add(flat);
                else variants.Add(new Variant(flat, index, start.Value));
                flat++;
            }
        }
        finally
        {
            foreach (var d in differs.Values) d.Dispose();
        }
        return (variants.OrderBy(v => v.Index[0]).ThenBy(v => v.Start).ToList(), unchanged.ToArray());
    }

    /// <summary>Groups same-layer variants with nearby starts into batches that fit the memory budget.</summary>
    private IEnumerable<List<Variant>> Chunks(PatchingSetup setup, PatchTarget target, List<Variant> variants, int sharedPrefix)
    {
        var cfg = setup.Model.Config;
        int n = setup.NPos, batch = setup.Clean.Count;
        bool packable = Packable(target);
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
                bool fits = (chunk.Count + 1) * SegmentLayout.TokensPerVariant(first.Start, n, batch, sharedPrefix, packable) <= tokenBudget;
                if (!(sameLayer && near && fits)) { yield return chunk; chunk = new List<Variant>(); }
            }
            chunk.Add(v);
        }
        if (chunk.Count > 0) yield return chunk;
    }

    /// <summary>Source-position patches address one key of one prompt: never packed.</summary>
    private bool Packable(PatchTarget target) => _options.PackSharedPrefix && !target.Axes.Contains(PatchAxis.SrcPos);

    /// <summary>
    /// One batched forward: every variant's rows recompute the chunk's segment (see <see cref="SegmentLayout"/>). Each
    /// variant's metric per prompt.
    /// </summary>
    private double[][] RunChunk(PatchingSetup setup, PatchingCaches caches, PatchTarget target, List<Variant> chunk, int sharedPrefix)
    {
        var model = setup.Model;
        int layer = chunk[0].Index[0], t0 = chunk[0].Start, batch = setup.Clean.Count, nVariants = chunk.Count;
        var layout = SegmentLayout.Create(t0, setup.NPos, batch, sharedPrefix, Packable(target));
        int rowsPerVariant = layout.Rows;
        string hook = target.HookName(layer);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var resid = layout.Gather(caches.Corrupted[HookName.ResidPre(layer)]).repeat(nVariants, 1, 1); // [variants*rows, length, d_model]
        var rowPrompts = tensor(layout.Prompt.Select(r => (long)r[0]).ToArray(), device: model.ModelDevice);
        // With one row per variant (prompts packed into it), every row continues the same prefix: pass it
        // once ([1, t0, ...]) and attention reads it without a copy per variant.
        Tensor PerRow(Tensor prefix) => rowsPerVariant == 1 ? prefix : prefix.repeat(nVariants, 1, 1, 1);
        (Tensor K, Tensor V)? Past(int l)
        {
            if (t0 == 0) return null;
            var k = PerRow(caches.Corrupted[HookName.AttendedKeys(model.Config.IsRotary, l)].index_select(0, rowPrompts)[.., ..t0]); // [rows or 1, t0, kv_head, d_head]
            var v = PerRow(caches.Corrupted[HookName.V(l)].index_select(0, rowPrompts)[.., ..t0]);
            return (k, v);
        }

        var clean = caches.Clean[hook];
        // [rows, ...] in segment layout
        var cleanSegment = target.Layout == ActivationLayout.Pattern ? layout.GatherPattern(clean) : layout.Gather(clean);
        var flatPositions = new Dictionary<int, TensorIndex>();
        TensorIndex Position(int p) => flatPositions.TryGetValue(p, out var t) ? t : flatPositions[p] = TensorIndex.Tensor(layout.FlatPositions(p));
        Tensor? Patch(Tensor act, HookPoint _)
        {
            var patched = act.clone();
            for (int v = 0; v < nVariants; v++)
            {
                var at = target.ActivationIndex(chunk[v].Index, (int)act.dim(), Position);
                var rows = at.ToArray();
                rows[0] = TensorIndex.Slice(v * rowsPerVariant, (v + 1) * rowsPerVariant);
                patched[rows] = cleanSegment[at];
            }
            return patched;
        }

        // Read positions, in prompt order within each variant; reads before t0 are unchanged (corrupted value).
        var read = setup.Metric.ReadPositions;
        int perRow = batch / rowsPerVariant;
        var readIndex = new long[nVariants * batch];
        for (int v = 0; v < nVariants; v++)
            for (int b = 0; b < batch; b++)
                readIndex[v * batch + b] = read[b] >= t0 ? layout.Locate(b, read[b]).Flat : 0;
        Tensor logits;
        using (model.Hooks((hook, Patch)))
        {
            var readPositions = tensor(readIndex, [nVariants * rowsPerVariant, perRow]);
            var blocked = layout.Blocked(model.ModelDevice);
            var positions = model.Config.IsRotary ? layout.Positions(model.ModelDevice).repeat(nVariants, 1) : null;
            logits = SegmentForward.Run(model, resid, layer, Past, readPositions, blocked, positions); // [rows, perRow, d_vocab]
        }
        var perPrompt = setup.Metric.PerRowAtRead(logits.reshape(nVariants * batch, -1), nVariants).cpu().data<double>().ToArray();

        var result = new double[nVariants][];
        for (int v = 0; v < nVariants; v++)
        {
            result[v] = new double[batch];
            for (int b = 0; b < batch; b++)
                result[v][b] = read[b] >= t0 ? perPrompt[v * batch + b] : setup.CorruptedPerPrompt[b];
        }
        return result;
    }
}
