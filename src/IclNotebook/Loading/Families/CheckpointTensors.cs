using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// A checkpoint's tensors taken strictly: each by name with the shape the config implies (an
/// error names the file, the tensor and both shapes), and at the end every tensor must have been
/// taken (an unexpected one names the family it was read as). Vocabulary-sized matrices are taken unread
/// (<see cref="GetMatrix"/>), to be read a block of rows at a time.
/// </summary>
internal sealed class CheckpointTensors(CheckpointReader tensors, string family)
{
    private readonly string source = tensors.Source;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Tensor Get(string key, params long[] shape)
    {
        if (!tensors.TryGetValue(key, out var t))
            throw new IclException($"{source}: tensor '{key}' is missing; this is not a complete {family} checkpoint for its config.json.");
        if (!t.shape.SequenceEqual(shape))
            throw new IclException($"{source}: tensor '{key}' has shape [{string.Join(", ", t.shape)}], " +
                $"but config.json implies [{string.Join(", ", shape)}].");
        _used.Add(key);
        return t;
    }

    public Tensor? Optional(string key, params long[] shape) => tensors.ContainsKey(key) ? Get(key, shape) : null;

    /// <summary>The matrix stored under <paramref name="key"/>, unread, its shape checked against the config's.</summary>
    public CheckpointMatrix GetMatrix(string key, long rows, long columns)
    {
        var m = tensors.Matrix(key)
            ?? throw new IclException($"{source}: tensor '{key}' is missing; this is not a complete {family} checkpoint for its config.json.");
        if (m.Rows != rows || m.Columns != columns)
            throw new IclException($"{source}: tensor '{key}' has shape [{m.Rows}, {m.Columns}], but config.json implies [{rows}, {columns}].");
        _used.Add(key);
        return m;
    }

    public CheckpointMatrix? OptionalMatrix(string key, long rows, long columns) =>
        tensors.ContainsKey(key) ? GetMatrix(key, rows, columns) : null;

    public bool Has(string key) => tensors.ContainsKey(key);

    /// <summary>Throws naming tensors nothing took: the checkpoint is not of this family (or not of this config).</summary>
    public void CheckAllUsed()
    {
        var unknown = tensors.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            string first = string.Join(", ", unknown.Take(5));
            string more = unknown.Count > 5 ? $" and {unknown.Count - 5} more" : "";
            throw new IclException($"{source}: unexpected tensors {first}{more}; " +
                $"this does not look like a {family} checkpoint for its config.json.");
        }
    }
}
