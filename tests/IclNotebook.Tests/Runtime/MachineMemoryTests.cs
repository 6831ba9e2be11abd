using IclNotebook.Patching;
using IclNotebook.Runtime;

namespace IclNotebook.Tests.Runtime;

/// <summary>The fast engine's default batch budget follows the memory the machine has, within its floor and cap.</summary>
public class MachineMemoryTests
{
    [Fact]
    public void Available_memory_is_positive_and_no_more_than_the_machine_has()
    {
        long available = MachineMemory.AvailableBytes();
        Assert.InRange(available, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    [Fact]
    public void On_Linux_it_is_the_kernels_MemAvailable()
    {
        if (!OperatingSystem.IsLinux()) return;
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        long kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        long expected = Math.Min(kb * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        // MemAvailable moves as other processes run: within 10% (or 256 MB) of a fresh reading.
        Assert.InRange(MachineMemory.AvailableBytes(), expected - Math.Max(expected / 10, 256L << 20), expected + Math.Max(expected / 10, 256L << 20));
    }

    [Fact]
    public void The_default_budget_is_an_eighth_of_it_within_the_floor_and_the_cap()
    {
        long eighthMb = MachineMemory.AvailableBytes() / 8 / (1024 * 1024);
        int budget = new FastEngineOptions().BatchMemoryMb;
        Assert.InRange(budget, FastEngineOptions.MinDefaultBatchMemoryMb, FastEngineOptions.MaxDefaultBatchMemoryMb);
        if (eighthMb > FastEngineOptions.MaxDefaultBatchMemoryMb + 64) Assert.Equal(FastEngineOptions.MaxDefaultBatchMemoryMb, budget);
        else if (eighthMb < FastEngineOptions.MinDefaultBatchMemoryMb - 8) Assert.Equal(FastEngineOptions.MinDefaultBatchMemoryMb, budget);
        else Assert.InRange(budget, eighthMb - 64, eighthMb + 64);
    }
}
