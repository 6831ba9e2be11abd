using System.Diagnostics;
using System.Globalization;

namespace IclNotebook.Cli.Bench;

/// <summary>Timing helpers and figures shared by the benchmarks: medians, GFLOP/s, peak RSS.</summary>
public static class BenchReport
{
    /// <summary>Median wall time in milliseconds of <paramref name="runs"/> calls after one warm-up.</summary>
    public static double MedianMs(int runs, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        action();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }

    public static double GflopPerSecond(double flop, double ms) => flop / (ms / 1000) / 1e9;

    /// <summary>Peak resident set size of this process (VmHWM), in MB; NaN where /proc is absent.</summary>
    public static double PeakRssMb()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is null) return double.NaN;
            var kb = double.Parse(line.Split(':', StringSplitOptions.TrimEntries)[1].Split(' ')[0], CultureInfo.InvariantCulture);
            return kb / 1024;
        }
        catch (IOException) { return double.NaN; }
    }

    /// <summary>Frees garbage (managed and native) so a phase's RSS is its own.</summary>
    public static void CollectGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        IclNotebook.Runtime.NativeHeap.Trim();
    }

    public static void Line(string label, string value) => Console.WriteLine($"  {label,-44} {value}");

    public static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
}
