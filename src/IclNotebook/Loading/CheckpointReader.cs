using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// A checkpoint's tensors by their family-normalised keys (buffers skipped), each read from its file as a new float32
/// CPU tensor only when asked for, so that a model loads layer by layer and never holds the whole checkpoint. Every
/// name is checked when the reader is made (no key stored twice, every dtype readable), before any tensor is read.
/// </summary>
internal sealed class CheckpointReader : IReadOnlyDictionary<string, Tensor>
{
    private readonly Dictionary<string, (string Name, SafetensorsFile File)> _entries = new(StringComparer.Ordinal);

    public CheckpointReader(Checkpoint checkpoint, Families.ModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(family);
        foreach (var (name, file) in checkpoint.Tensors)
        {
            if (family.IsIgnoredBuffer(name)) continue;
            string key = family.NormalizeKey(name);
            if (_entries.ContainsKey(key))
                throw new IclException($"{checkpoint.Description}: tensor '{key}' is stored twice (with and without its model-class prefix).");
            var entry = file.Entry(name);
            if (!entry.DType.IsReadable())
                throw new IclException($"{file.Path}: tensor '{name}' is stored as {entry.DType.HeaderName()} " +
                    $"and is no {family.ModelTypes[0]} weight or buffer; " +
                    $"this checkpoint does not look like the model_type its config.json names ({string.Join("/", family.ModelTypes)}).");
            _entries[key] = (name, file);
        }
        Source = checkpoint.Description;
    }

    /// <summary>The checkpoint's description for messages.</summary>
    public string Source { get; }

    /// <summary>Reads the tensor stored under <paramref name="key"/>: a new float32 tensor in the caller's dispose scope.</summary>
    public Tensor this[string key] => TryGetValue(key, out var t) ? t : throw new KeyNotFoundException(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value)
    {
        if (!_entries.TryGetValue(key, out var where)) { value = null; return false; }
        var entry = where.File.Entry(where.Name);
        value = empty(entry.Shape.ToArray(), dtype: ScalarType.Float32);
        where.File.ReadFloat32(where.Name, MemoryMarshal.Cast<byte, float>(value.bytes)); // straight into the tensor's memory
        return true;
    }

    /// <summary>
    /// The 2-D tensor stored under <paramref name="key"/>, to be read a block of rows at a time; null when there is none.
    /// Its shape is the file header's (nothing is read here).
    /// </summary>
    public CheckpointMatrix? Matrix(string key)
    {
        if (!_entries.TryGetValue(key, out var where)) return null;
        var shape = where.File.Entry(where.Name).Shape;
        return shape.Count == 2 ? new CheckpointMatrix(where.File, where.Name, key, shape[0], shape[1])
            : throw new IclException($"{where.File.Path}: tensor '{where.Name}' has shape [{string.Join(", ", shape)}], not a matrix.");
    }

    public IEnumerable<string> Keys => _entries.Keys;
    public IEnumerable<Tensor> Values => Keys.Select(k => this[k]);
    public int Count => _entries.Count;
    public bool ContainsKey(string key) => _entries.ContainsKey(key);
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
