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
/// dtype per process once it is found fast (tens of milliseconds; a slow one about a second), every time while slow; CUDA devices are taken as fast for both half types.
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
    /// Both speeds, each the best of up to three rounds that alternate the two dtypes, on products large enough (768³)
    /// that a thread descheduled for a few milliseconds on a busy machine (tests in parallel) does not dominate them: on
    /// 384³ products a parallel test run once measured bfloat16 at 19 GFLOP/s against float32's 59 (600 and 170 when
    /// quiet), and another passed float16 into kernels it lacks. A verdict far from the line (a CPU without kernels runs
    /// 40x slower; a fast half dtype at least as fast as float32) is taken at once; one near it is measured again.
    /// </summary>
    private static (double Half, double Float32) Measure(ScalarType half, Device device)
    {
        double bestHalf = 0, bestSingle = 0;
        for (int round = 0; round < 3; round++)
        {
            bestSingle = Math.Max(bestSingle, Gflops(ScalarType.Float32, device));
            bestHalf = Math.Max(bestHalf, Gflops(half, device));
            if (bestHalf >= bestSingle || bestHalf < 0.1 * bestSingle) break;
        }
        return (bestHalf, bestSingle);
    }

    /// <summary>
    /// The speed of a 768³ matrix product in <paramref name="dtype"/>: the best of at least three after a warm-up on a small
    /// one (which builds any JIT kernel), repeated until 30 ms have passed; a product slower than 100 ms (a dtype without
    /// kernels) is measured once.
    /// </summary>
    public static double Gflops(ScalarType dtype, Device device)
    {
        const int n = 768;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        randn([64, 64], device: device).to(dtype).matmul(randn([64, 64], device: device).to(dtype)).Dispose();
        var a = randn([n, n], device: device).to(dtype);
        var b = randn([n, n], device: device).to(dtype);
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < 3 || total.ElapsedMilliseconds < 30; i++)
        {
            var clock = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
            if (best > 0.1) break;
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    private static int Threads() => get_num_threads();
}
