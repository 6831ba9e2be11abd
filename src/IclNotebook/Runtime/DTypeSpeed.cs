using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Runtime;

/// <summary>
/// Whether a device multiplies matrices fast in a half-precision dtype, measured: a CPU without bfloat16 or float16
/// kernels runs them tens of times slower than float32 (float16 here: 2 GFLOP/s against float32's 132), so a model in
/// such a dtype is refused with the measured numbers rather than left silently slow. One measurement per device and
/// dtype per process once it is found fast (tens of milliseconds), every time while slow; CUDA devices are taken as fast for both half types.
/// </summary>
public static class DTypeSpeed
{
    /// <summary>A half dtype is refused below this share of float32's speed.</summary>
    public const double MinimumShareOfFloat32 = 0.5;

    // The (device, dtype) pairs measured fast: a slow verdict is never kept (see Measure).
    private static readonly ConcurrentDictionary<(string Device, ModelDType DType), bool> Fast = new();

    /// <summary>
    /// Throws an <see cref="IclException"/> naming the measured speeds when <paramref name="dtype"/> is slow on <paramref name="device"/>.
    /// </summary>
    public static void Check(ModelDType dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!dtype.IsHalf() || device.type == TorchSharp.DeviceType.CUDA) return;
        TorchRuntime.EnsureLoaded();
        var key = (device.ToString(), dtype);
        if (Fast.ContainsKey(key)) return;
        var (half, single) = Measure(dtype.ToScalarType(), device);
        if (half >= MinimumShareOfFloat32 * single)
        {
            Fast[key] = true;
            return;
        }
        string name = OptionNames.Name(dtype);
        string instead = dtype == ModelDType.Float16 ? ", or bfloat16 on a CPU with AVX512-BF16 or AMX." : ".";
        throw new IclException(string.Create(CultureInfo.InvariantCulture,
            $"--dtype {name}: this {device.type} multiplies {name} matrices at {half:F1} GFLOP/s against float32's {single:F1} " +
            $"(measured now, {Threads()} threads): it has no fast {name} kernels. Use float32{instead}"));
    }

    /// <summary>
    /// Both speeds, each the best of three rounds that alternate the two dtypes: a busy machine (other work on the cores, as
    /// when tests run in parallel) once slowed a sub-millisecond product tenfold, which could refuse bfloat16 when the half
    /// product was the slowed one and pass float16 (into kernels it lacks) when float32 was; a CPU without kernels is slow
    /// in every round, while a busy moment does not last three.
    /// </summary>
    private static (double Half, double Float32) Measure(ScalarType half, Device device)
    {
        double bestHalf = 0, bestSingle = 0;
        for (int round = 0; round < 3; round++)
        {
            bestSingle = Math.Max(bestSingle, Gflops(ScalarType.Float32, device));
            bestHalf = Math.Max(bestHalf, Gflops(half, device));
        }
        return (bestHalf, bestSingle);
    }

    /// <summary>
    /// The speed of a 384³ matrix product in <paramref name="dtype"/>: the best of at least five after a warm-up, repeated
    /// until 20 ms have passed (a slow dtype stops at five).
    /// </summary>
    public static double Gflops(ScalarType dtype, Device device)
    {
        const int n = 384;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = randn([n, n], device: device).to(dtype);
        var b = randn([n, n], device: device).to(dtype);
        a.matmul(b).Dispose();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < 5 || total.ElapsedMilliseconds < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    private static int Threads() => get_num_threads();
}
