using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching.Segments;

/// <summary>
/// A segment as the fast engine runs it, on a seeded random model of one family's shape: a prompt of
/// <c>n</c> random tokens is run with its cache, and <c>rows</c> continuations of its first
/// <c>t0</c> positions (the cached segment plus row-specific noise) attend to the cached prefix,
/// given once per row or once for all rows (shared). Create it inside the test's dispose scope and
/// no_grad; dispose it to free the model and cache.
/// </summary>
internal sealed class SegmentCase : IDisposable
{
    private readonly ActivationCache _cache;

    public SegmentCase(string family, int modelSeed, int dataSeed, int n, int t0, int rows)
    {
        Model = RandomModels.Create(modelSeed, layers: 2, heads: 4, family);
        var cfg = Model.Config;
        (T0, Seg, Rows) = (t0, n - t0, rows);
        manual_seed(dataSeed);
        var tokens = randint(cfg.DVocab, [1, n], dtype: ScalarType.Int64);
        (_, _cache) = Model.RunWithCache(tokens);
        Resid = _cache[HookName.ResidPre(0)][.., t0..].expand(rows, -1, -1).add(randn(rows, Seg, cfg.DModel).mul(0.3)); // [rows, seg, d_model]
        Positions = cfg.IsRotary ? arange(t0, n, dtype: ScalarType.Int64).unsqueeze(0).expand(rows, -1) : null;
    }

    public HookedTransformer Model { get; }
    public int T0 { get; }
    public int Seg { get; }
    public int Rows { get; }

    /// <summary>The segment's residual stream entering layer 0, [rows, seg, d_model].</summary>
    public Tensor Resid { get; }

    /// <summary>The segment tokens' true positions for rotary models, else null.</summary>
    public Tensor? Positions { get; }

    /// <summary>Layer <paramref name="layer"/>'s cached prefix keys (rotated for rotary models) and values: [1, t0, ...] shared, or repeated per row.</summary>
    public (Tensor, Tensor)? Past(int layer, bool shared)
    {
        var keys = Model.Config.IsRotary ? HookName.RotK(layer) : HookName.K(layer);
        var k = _cache[keys][.., ..T0];
        var v = _cache[HookName.V(layer)][.., ..T0];
        return shared ? (k, v) : (k.repeat(Rows, 1, 1, 1), v.repeat(Rows, 1, 1, 1));
    }

    /// <summary>A [seg, t0 + seg] mask: true where segment query i may not see key j (j counts prefix keys first).</summary>
    public Tensor Mask(Func<int, int, bool> hidden)
    {
        int keys = T0 + Seg;
        var m = new bool[Seg * keys];
        for (int i = 0; i < Seg; i++)
            for (int j = 0; j < keys; j++)
                m[i * keys + j] = hidden(i, j);
        return tensor(m, [Seg, keys]);
    }

    /// <summary>The fast engine's forward of the segment: logits at <paramref name="read"/> [rows, k] -> [rows, k, d_vocab].</summary>
    public Tensor Run(bool shared, Tensor read, Tensor? blocked = null) =>
        SegmentForward.Run(Model, Resid, 0, l => Past(l, shared), read, blocked, Positions);

    public void Dispose()
    {
        _cache.Dispose();
        Model.Dispose();
    }
}
