using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.Generation;

/// <summary>
/// The keys and values every layer has computed so far for a batch being generated, so each new token costs one position
/// instead of a whole forward (TransformerLens's <c>HookedTransformerKeyValueCache</c>). Rows are left-padded: every row's
/// newest token sits at the same index, and a pad is never attended to. Keys are stored after their norm and rotation
/// (as Hugging Face stores them), in float32 (attention's core dtype), in buffers allocated once for the whole
/// generation ([batch, capacity, kv_head, d_head] per layer). Each token's position is its real one: the first real token
/// of a row is position 0, whatever padding precedes it. Not thread-safe; owned by one generation.
/// </summary>
internal sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys, _values;
    private readonly Tensor _real;                 // bool [batch, capacity]: which indices hold real tokens
    private readonly Tensor _nextPosition;         // int64 [batch]: the position the row's next token takes
    private readonly Dictionary<int, Tensor> _attend = [];
    private Tensor? _stepPositions;

    /// <param name="layers">The model's layers.</param>
    /// <param name="batch">Rows generated together.</param>
    /// <param name="capacity">Indices to hold: the padded prompt's width plus the tokens to generate.</param>
    /// <param name="device">Where the buffers live (the model's device).</param>
    /// <param name="promptLengths">Each row's prompt length in tokens (for hooks that act by position).</param>
    /// <param name="firstRow">The first row's index among all the prompts generated.</param>
    public KeyValueCache(int layers, long batch, long capacity, Device device, long[] promptLengths, int firstRow)
    {
        PromptLengths = tensor(promptLengths, device: device).DetachFromDisposeScope();
        FirstRow = firstRow;
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        Capacity = capacity;
        _real = zeros(batch, capacity, dtype: ScalarType.Bool, device: device).DetachFromDisposeScope();
        _nextPosition = zeros(batch, dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
    }

    public long Capacity { get; }

    /// <summary>Each row's prompt length, int64 [batch].</summary>
    public Tensor PromptLengths { get; }

    /// <summary>The first row's index among all the prompts generated.</summary>
    public int FirstRow { get; }

    /// <summary>Indices filled by earlier steps.</summary>
    public long Length { get; private set; }

    /// <summary>Indices the current step writes (its tokens' count).</summary>
    public long StepCount { get; private set; }

    /// <summary>The current step's tokens' real positions, int64 [batch, step] (a pad's is 0; a pad is never attended to).</summary>
    public Tensor StepPositions => _stepPositions ?? throw new InvalidOperationException("No step begun.");

    /// <summary>
    /// Starts a step of <paramref name="real"/>'s width (bool [batch, step]: false at padding): gives each real token the
    /// row's next position and returns the positions, int64 [batch, step].
    /// </summary>
    public Tensor BeginStep(Tensor real)
    {
        long step = real.shape[1];
        if (Length + step > Capacity)
            throw new InvalidOperationException($"The cache holds {Capacity} positions; {Length} are filled and the step adds {step}.");
        foreach (var mask in _attend.Values) mask.Dispose();
        _attend.Clear();
        _stepPositions?.Dispose();
        StepCount = step;
        using var scope = NewDisposeScope();
        _real.narrow(1, Length, step).copy_(real);
        var isReal = real.to(ScalarType.Int64);
        var counted = isReal.cumsum(1);                                          // [batch, step]: real tokens so far in the step
        _stepPositions = _nextPosition.unsqueeze(1).Plus(counted).sub_(HeldScalars.Whole(1))
            .clamp_min_(HeldScalars.Whole(0)).mul_(isReal).DetachFromDisposeScope();                    // pads at 0
        _nextPosition.add_(counted[.., -1], HeldScalars.One);
        return _stepPositions;
    }

    /// <summary>Ends the step: its indices become part of what later steps attend to.</summary>
    public void EndStep()
    {
        Length += StepCount;
        StepCount = 0;
    }

    /// <summary>
    /// Stores layer <paramref name="layer"/>'s keys and values for the step's tokens ([batch, step, kv_head, d_head] each)
    /// and returns every filled index's, the step's included ([batch, length + step, kv_head, d_head] views).
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var k = _keys[layer] ??= Buffer(keys);
        var v = _values[layer] ??= Buffer(values);
        k.narrow(1, Length, StepCount).copy_(keys);
        v.narrow(1, Length, StepCount).copy_(values);
        long filled = Length + StepCount;
        return (k.narrow(1, 0, filled), v.narrow(1, 0, filled));
    }

    private Tensor Buffer(Tensor like) =>
        zeros([like.shape[0], Capacity, like.shape[2], like.shape[3]], dtype: like.dtype, device: like.device).DetachFromDisposeScope();

    /// <summary>
    /// Which keys each of the step's queries may see, bool [batch, 1, step, length + step]: real keys at or before the
    /// query, and (a local layer) fewer than <paramref name="window"/> indices back; each query always sees itself, so a pad
    /// query's row is never empty. Indices and positions differ by a constant among a row's real tokens, so the window
    /// counts positions.
    /// </summary>
    public Tensor Attend(int? window)
    {
        int key = window ?? 0;
        if (_attend.TryGetValue(key, out var cached)) return cached;
        long filled = Length + StepCount;
        var device = _real.device;
        using var scope = NewDisposeScope();
        var queryIndex = HeldScalars.Range(Length, filled, device).view(-1, 1);   // [step, 1]
        var keyIndex = HeldScalars.Range(0, filled, device).view(1, -1);         // [1, filled]
        var visible = keyIndex.le(queryIndex);                                                            // causal
        if (window is { } w) visible = visible.logical_and(keyIndex.gt(queryIndex.sub(HeldScalars.Whole(w))));
        var attend = _real.narrow(1, 0, filled).unsqueeze(1).logical_and(visible)                        // [batch, step, filled]
            .logical_or(keyIndex.eq(queryIndex)).unsqueeze(1);                                           // [batch, 1, step, filled]
        return _attend[key] = attend.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
        foreach (var mask in _attend.Values) mask.Dispose();
        _stepPositions?.Dispose();
        _real.Dispose();
        _nextPosition.Dispose();
        PromptLengths.Dispose();
    }
}
