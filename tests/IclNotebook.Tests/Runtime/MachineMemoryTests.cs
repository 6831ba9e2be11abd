using IclNotebook.Patching;
using IclNotebook.Runtime;

namespace IclNotebook.Tests.Runtime;

/// <summary>The fast engine's default batch budget follows the memory the machine has, within its floor and cap.</summary>
public class MachineMemoryTests
{
    private const long Gb = 1L << 30;

    [Fact]
    public void Available_memory_is_the_kernels_MemAvailable_within_the_limit_else_half_the_limit()
    {
        const string meminfo = "MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:    8388608 kB\nBuffers:  12 kB\n";
        Assert.Equal(8 * Gb, MachineMemory.AvailableBytes(meminfo, 24 * Gb));
        Assert.Equal(4 * Gb, MachineMemory.AvailableBytes(meminfo, 4 * Gb));                   // a container's limit below it
        Assert.Equal(12 * Gb, MachineMemory.AvailableBytes(null, 24 * Gb));                    // not Linux: half the limit
        Assert.Equal(12 * Gb, MachineMemory.AvailableBytes("MemTotal: 24576000 kB\n", 24 * Gb)); // an old kernel without the line
        Assert.Equal(12 * Gb, MachineMemory.AvailableBytes("MemAvailable: lots kB\n", 24 * Gb));
    }

    [Fact]
    public void On_this_machine_it_is_positive_and_no_more_than_the_machine_has()
    {
        Assert.InRange(MachineMemory.AvailableBytes(), 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
    }

    [Theory]
    [InlineData(8L << 30, 768)]          // 1 GB would be an eighth: capped
    [InlineData(4L << 30, 512)]
    [InlineData(1L << 30, 128)]
    [InlineData(256L << 20, 64)]         // 32 MB: the floor
    public void The_default_budget_is_an_eighth_of_it_within_the_floor_and_the_cap(long available, int megabytes)
    {
        Assert.Equal(megabytes, FastEngineOptions.DefaultBatchMemoryMb(available));
    }
}
