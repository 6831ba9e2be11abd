namespace IclNotebook.Runtime;

/// <summary>How much memory this machine (or container) can give the process now.</summary>
public static class MachineMemory
{
    /// <summary>
    /// Bytes available: <c>MemAvailable</c> from <c>/proc/meminfo</c> on Linux (free memory plus the
    /// page cache the kernel can drop), else half the memory .NET sees as the machine's or the
    /// container's limit. Never less than the cgroup limit the runtime reports allows.
    /// </summary>
    public static long AvailableBytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;            // physical memory or the container's limit
        if (OperatingSystem.IsLinux() && ProcMemAvailable() is long available)
            return Math.Min(available, limit);
        return limit / 2;
    }

    private static long? ProcMemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries); // "MemAvailable:", "24245332", "kB"
                return parts.Length >= 2 && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
