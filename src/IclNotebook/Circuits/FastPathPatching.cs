using IclNotebook.Runtime;
using IclNotebook.Hooks;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Circuits;

/// <summary>
/// Exact path patching with the fast engine's planning, the same numbers as <see cref="ReferencePathPatching"/>:
/// <list type="bullet">
/// <item>No step-2 forward: with every other component frozen, a receiver's input is the corrupted input plus the sender's
///   change of the residual stream (<see cref="SenderDeltas"/>), exactly.</item>
/// <item>A sender that cannot reach a receiver (a later layer), or changes nothing, gives the corrupted run's values, with no forward.</item>
/// <item>A path into layer L starts at L from the corrupted run's residual stream, and recomputes only the positions from the
///   sender's first change on (earlier ones reuse the corrupted run's keys and values: <see cref="SegmentForward"/>).</item>
/// <item>The logits receiver needs no forward at all: the final norm and unembedding of the corrupted final residual plus the change.</item>
/// <item>Many senders into one receiver go through one batched forward, within a memory budget.</item>
/// </list>
/// </summary>
internal sealed class FastPathPatching(PatchingSetup setup, int batchMemoryMb)
{
    private readonly Model.HookedTransformer _model = setup.Model;

    public double[][][] Run(IReadOnlyList<PathSender> senders, IReadOnlyList<PathReceiver> receivers, IProgress<Progress.WorkProgress>? progress,
        CancellationToken ct)
    {
        var cfg = _model.Config;
        bool ungroups = receivers.Any(r => r.Ungroups(cfg));
        var residuals = Enumerable.Range(0, cfg.NLayers).SelectMany(l => new[] { HookName.ResidPre(l), HookName.ResidPost(l) })
            .Concat(cfg.ParallelAttnMlp ? [] : Enumerable.Range(0, cfg.NLayers).Select(HookName.ResidMid));
        setup.Caches.Ensure(SenderDeltas.Hooks(cfg.NLayers).Concat(residuals).Concat(KeysAndValues(ungrouped: false)));
        if (ungroups) setup.CachesFor(ungrouped: true).Ensure(KeysAndValues(ungrouped: true));

        var result = senders.Select(_ => receivers.Select(_ => setup.CorruptedPerPrompt.ToArray()).ToArray()).ToArray();
        using var deltas = new SenderDeltas(setup);
        for (int r = 0; r < receivers.Count; r++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new Progress.WorkProgress("path patching", r, receivers.Count, "receivers"));
            var variants = Enumerable.Range(0, senders.Count)
                .Where(s => receivers[r].IsReachedBy(senders[s], cfg))
                .Select(s => (Sender: s, Start: deltas.Start(senders[s])))
                .Where(v => v.Start is not null)
                .Select(v => (v.Sender, Start: v.Start!.Value))
                .OrderBy(v => v.Start)
                .ToList();
            foreach (var chunk in Chunks(variants, receivers[r]))
            {
                var values = RunChunk(receivers[r], chunk.Select(v => senders[v.Sender]).ToArray(), chunk[0].Start, deltas);
                for (int i = 0; i < chunk.Count; i++) result[chunk[i].Sender][r] = values[i];
            }
        }
        progress?.Report(new Progress.WorkProgress("path patching", receivers.Count, receivers.Count, "receivers"));
        return result;
    }

    /// <summary>The keys later positions attend to (rotated in rotary models) and the values, every layer.</summary>
    private IEnumerable<string> KeysAndValues(bool ungrouped) => Enumerable.Range(0, _model.Config.NLayers)
        .SelectMany(l => new[] { HookName.AttendedKeys(_model.Config.IsRotary, l), HookName.V(l) })
        .Where(_ => !ungrouped || _model.Config.Grouped);

    /// <summary>Senders in start order, grouped into batches that fit the memory budget (the first one's start is the batch's).</summary>
    private IEnumerable<List<(int Sender, int Start)>> Chunks(List<(int Sender, int Start)> variants, PathReceiver receiver)
    {
        var cfg = _model.Config;
        int n = setup.NPos, batch = setup.Clean.Count;
        // Bytes per (row, position): a block's residual-stream tensors, MLP activations, attention rows; the logits receiver's rows hold logits.
        double bytesPerToken = receiver.Input == ReceiverInput.Logits
            ? 4.0 * (3.0 * cfg.DVocab + 4.0 * cfg.DModel)
            : 4.0 * (14.0 * cfg.DModel + 10.0 * cfg.DMlp + 6.0 * cfg.NHeads * n);
        double budget = batchMemoryMb * 1024.0 * 1024.0;
        // Each variant's rows also hold copies of the corrupted keys and values before its start, for every layer from the receiver's on.
        double pastBytesPerToken = 8.0 * cfg.NHeads * cfg.DHead * (cfg.NLayers - Math.Min(receiver.Layer, cfg.NLayers));
        var chunk = new List<(int, int)>();
        foreach (var v in variants)
        {
            int start = chunk.Count > 0 ? chunk[0].Item2 : v.Start;
            double bytesPerVariant = receiver.Input == ReceiverInput.Logits ? batch * bytesPerToken
                : batch * ((n - start) * (bytesPerToken + pastBytesPerToken) + start * pastBytesPerToken);
            if (chunk.Count > 0 && (chunk.Count + 1) * bytesPerVariant > budget) { yield return chunk; chunk = []; }
            chunk.Add(v);
        }
        if (chunk.Count > 0) yield return chunk;
    }

    /// <summary>Each sender's path into <paramref name="receiver"/>: every prompt's metric, [sender][prompt].</summary>
    private double[][] RunChunk(PathReceiver receiver, PathSender[] senders, int t0, SenderDeltas deltas)
    {
        int batch = setup.Clean.Count, n = setup.NPos, count = senders.Length;
        var read = setup.Metric.ReadPositions;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var mode = receiver.Ungroups(_model.Config) ? _model.UngroupGroupedQueryAttention() : null;
        var caches = setup.CachesFor(ungrouped: mode is not null);
        var corrupted = setup.Caches.Corrupted;
        var device = _model.ModelDevice;
        Tensor perPrompt;
        if (receiver.Input == ReceiverInput.Logits)
        {
            // The corrupted final residual stream at each prompt's read position, plus each sender's change there.
            var rows = Runtime.HeldScalars.Range(0, batch, device);
            var at = tensor(read.Select(p => (long)p).ToArray(), device: device);
            var final = corrupted[HookName.ResidPost(_model.Config.NLayers - 1)].index([TensorIndex.Tensor(rows), TensorIndex.Tensor(at)]);
            var patched = cat(senders.Select(s => final.Plus(deltas.Of(s).index([TensorIndex.Tensor(rows), TensorIndex.Tensor(at)]))).ToArray());
            perPrompt = setup.Metric.PerRowAtRead(_model.FinalNormAndUnembed(patched.unsqueeze(1)).squeeze(1), count);
        }
        else
        {
            var block = _model.Block(receiver.Layer);
            var input = corrupted[receiver.InputHook(_model.Config)].narrow(1, t0, n - t0);                                          // [batch, seg, d_model]
            var inputs = cat(senders.Select(s => input.Plus(deltas.Of(s).narrow(1, t0, n - t0))).ToArray());    // [senders*batch, seg, d_model]
            string hook;
            HookFunction patch;
            if (receiver.IsHead)
            {
                int head = receiver.Head!.Value;
                var value = block.Attn.HeadProjection(receiver.Activation, head, block.Ln1(inputs));          // [senders*batch, seg, d_head]
                hook = HookName.Block(receiver.Activation, receiver.Layer);
                patch = (act, _) =>
                {
                    var patched = act.clone();
                    patched[.., .., head] = value;
                    return patched;
                };
            }
            else
            {
                var value = block.MlpOutput(inputs);                                                             // [senders*batch, seg, d_model]
                hook = HookName.MlpOut(receiver.Layer);
                patch = (_, _) => value.clone();
            }
            var resid = corrupted[HookName.ResidPre(receiver.Layer)].narrow(1, t0, n - t0).repeat(count, 1, 1);
            (Tensor K, Tensor V)? Past(int l)
            {
                if (t0 == 0) return null;
                var k = caches.Corrupted[HookName.AttendedKeys(_model.Config.IsRotary, l)].narrow(1, 0, t0).repeat(count, 1, 1, 1);
                var v = caches.Corrupted[HookName.V(l)].narrow(1, 0, t0).repeat(count, 1, 1, 1);
                return (k, v);
            }
            var readIndex = Enumerable.Range(0, count).SelectMany(_ => read.Select(p => (long)Math.Max(0, p - t0))).ToArray();
            using var attached = _model.Hooks((hook, patch));
            var logits = SegmentForward.Run(_model, resid, receiver.Layer, Past, tensor(readIndex, [count * batch, 1]));
            perPrompt = setup.Metric.PerRowAtRead(logits.reshape(count * batch, -1), count);
        }
        var values = perPrompt.cpu().data<double>().ToArray();
        // A prompt whose read position comes before the batch's first change is the corrupted run there.
        return Enumerable.Range(0, count)
            .Select(v => Enumerable.Range(0, batch).Select(b => read[b] >= t0 ? values[v * batch + b] : setup.CorruptedPerPrompt[b]).ToArray())
            .ToArray();
    }
}
