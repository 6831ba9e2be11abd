using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Runtime;

/// <summary>
/// Arithmetic on tensors without TorchSharp's temporary <see cref="Scalar"/>s. TorchSharp turns a
/// .NET number (and the implicit <c>alpha = 1</c> of <c>a + b</c>) into a new
/// Scalar whose native memory only its finalizer frees, and nothing keeps that object alive while
/// libtorch reads it: a garbage collection during the call can free it first. Seen here as a
/// random test failure, "Expected false to be true ... toFloat at c10/core/Scalar.h:140", inside
/// <c>Tensor + Tensor</c> in a block. The model's and engines' hot paths use these long-lived
/// scalars instead (each is created once and never freed).
/// </summary>
public static class HeldScalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Doubles = new();
    private static readonly ConcurrentDictionary<long, Scalar> Integers = new();

    /// <summary>The integer 1, the <c>alpha</c> TorchSharp's own <c>add(Tensor)</c> passes.</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>A held scalar for <paramref name="value"/> (float64, as TorchSharp's implicit conversion makes it).</summary>
    public static Scalar Of(double value) => Doubles.GetOrAdd(value, v => v.ToScalar());

    /// <summary>
    /// A held integer scalar for <paramref name="value"/>: what integer tensors are compared with, filled with or shifted by
    /// (a float scalar would promote int64 arithmetic to float).
    /// </summary>
    public static Scalar Whole(long value) => Integers.GetOrAdd(value, v => v.ToScalar());

    /// <summary>int64 <c>start, start + 1, ..., stop - 1</c> on <paramref name="device"/> (CPU by default), with held bounds.</summary>
    public static Tensor Range(long start, long stop, Device? device = null) =>
        arange(Whole(start), Whole(stop), Whole(1), ScalarType.Int64, device ?? CPU);

    /// <summary><c>a + b</c> (broadcasting), with a held alpha.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a + value</c>, with a held alpha (TorchSharp's own <c>add(Scalar)</c> passes a temporary <c>alpha = 1</c>).</summary>
    public static Tensor Plus(this Tensor a, double value) => a.add(Of(value), One);

    /// <summary><c>a - b</c> (broadcasting): TorchSharp's <c>sub(Tensor)</c> passes no alpha, so no temporary scalar; named beside <see cref="Plus(Tensor, Tensor)"/>.</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.sub(b);

    /// <summary><c>a * value</c>.</summary>
    public static Tensor Times(this Tensor a, double value) => a.mul(Of(value));

    /// <summary><c>a / value</c>.</summary>
    public static Tensor Over(this Tensor a, double value) => a.div(Of(value));
}
