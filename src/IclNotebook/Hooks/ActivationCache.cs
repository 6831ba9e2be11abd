using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Hooks;

/// <summary>
/// Activations recorded by <see cref="Model.HookedTransformer.RunWithCache"/>, keyed by hook
/// name in the order the forward pass reached them. The cache owns its tensors (they belong to no
/// dispose scope) and frees them when disposed; it keeps no reference to the model.
/// </summary>
public sealed class ActivationCache : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();
    private bool _disposed;

    /// <summary>Hook names in the order the forward pass reached them.</summary>
    public IReadOnlyList<string> Names => _order;

    public Tensor this[string key]
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_tensors.TryGetValue(key, out var t)) return t;
            throw new IclException($"The cache has no activation '{key}'. It holds {_order.Count} hooks, e.g. {string.Join(", ", _order.Take(4))}; " +
                "check the name or the names filter passed to RunWithCache.");
        }
    }

    public IEnumerable<string> Keys => _order;
    public IEnumerable<Tensor> Values => _order.Select(n => _tensors[n]);
    public int Count => _order.Count;
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) =>
        _tensors.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        _order.Select(n => new KeyValuePair<string, Tensor>(n, _tensors[n])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Takes ownership of a detached copy of <paramref name="activation"/>.</summary>
    internal void Store(string name, Tensor activation)
    {
        var owned = activation.detach().DetachFromDisposeScope();
        if (_tensors.Remove(name, out var old)) { old.Dispose(); _order.Remove(name); }
        _tensors[name] = owned;
        _order.Add(name);
    }

    /// <summary>Takes over every activation of <paramref name="other"/> (which is left empty).</summary>
    internal void Absorb(ActivationCache other)
    {
        foreach (var name in other._order.ToList())
        {
            if (other._tensors.Remove(name, out var t))
            {
                if (_tensors.Remove(name, out var old)) { old.Dispose(); _order.Remove(name); }
                _tensors[name] = t;
                _order.Add(name);
            }
        }
        other._order.Clear();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
