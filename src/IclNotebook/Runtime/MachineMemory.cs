namespace IclNotebook.Runtime;

/// <summary>How much memory this machine (or container) can give the process now.</summary>
public static class MachineMemory
{
    /// <summary>
    /// Bytes available: <c>MemAvailable</c> from <c>/proc/meminfo</c> on Linux (free memory plus the
    /// page cache the kernel can drop), else half the memory .NET sees as the machine's or the
    /// container's limit. Never less than the cgroup limit the runtime reports allows.
    /// </summary>
    public static long AvailableBytes() =>
        AvailableBytes(OperatingSystem.IsLinux() ? ReadMeminfo() : null, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>
    /// The rule behind <see cref="AvailableBytes()"/>: <c>MemAvailable</c> of <paramref name="meminfo"/> (the text of
    /// /proc/meminfo, or null), at most <paramref name="limit"/> (physical memory or the container's limit);
    /// half the limit when there is no readable MemAvailable line.
    /// </summary>
    public static long AvailableBytes(string? meminfo, long limit)
    {
        foreach (var line in (meminfo ?? "").Split('\n'))
        {
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries); // "MemAvailable:", "24245332", "kB"
            if (parts.Length >= 2
                && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long kb))
                return Math.Min(kb * 1024, limit);
        }
        return limit / 2;
    }

    private static string? ReadMeminfo()
    {
        try { return File.ReadAllText("/proc/meminfo"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
