using System.Runtime.InteropServices;

namespace IclNotebook.Runtime;

/// <summary>
/// Returns freed native memory to the operating system. libtorch allocates tensors with malloc;
/// after loading a checkpoint glibc keeps ~1 GB of freed blocks (GPT-2 small) in its heap, which
/// shows as resident memory for the rest of the process. <c>malloc_trim(0)</c> releases it.
/// A no-op where glibc is absent.
/// </summary>
public static partial class NativeHeap
{
    private static bool _unavailable;

    public static void Trim()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return;
        try { _ = MallocTrim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _unavailable = true; }
    }

    /// <summary>
    /// Caps glibc's malloc arenas at <paramref name="arenas"/> unless <c>MALLOC_ARENA_MAX</c> is set.
    /// glibc gives threads their own arenas (up to 8 per core); tensors freed into one arena are not
    /// reused by allocations on another thread, and async code (notebook kernels, <c>await</c>) runs
    /// torch calls on whichever pool thread is free. Measured on GPT-2-small-sized weights:
    /// <c>icl analyze</c> peaked at 3.19 GB with this cap and 3.70 GB without, in the same time
    /// (177.7 s both). It only limits arenas created after the call, so in a notebook kernel, whose
    /// threads exist before the library loads, it saves little (walkthrough notebook: 4.94 GB vs
    /// 5.08 GB); there <c>MALLOC_ARENA_MAX=2</c> set before the kernel starts gives 3.99 GB.
    /// </summary>
    public static void LimitArenas(int arenas = 2)
    {
        if (_unavailable || !OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 }) return;
        try { _ = MallOpt(MArenaMax, arenas); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _unavailable = true; }
    }

    /// <summary>
    /// While the returned scope lives, glibc keeps freed blocks for reuse instead of returning them
    /// to the operating system (no mmap for large blocks, no trimming below 1 GB); disposing it
    /// restores glibc's defaults and trims. For loops that allocate and free the same large tensors
    /// every iteration: the toy trainer's ~100 MB of full-vocabulary logits per step were mapped fresh
    /// each time, and the page faults made a step several times slower (measured when it trained on
    /// the full vocabulary: 1.0 steps/s without this scope, 5.6 steps/s with it).
    /// </summary>
    public static IDisposable ReuseFreedMemory()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return new Restore(false);
        try
        {
            _ = MallOpt(MMmapMax, 0);
            _ = MallOpt(MTrimThreshold, 1 << 30);
            return new Restore(true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return new Restore(false);
        }
    }

    private sealed class Restore(bool active) : IDisposable
    {
        private bool _active = active;

        public void Dispose()
        {
            if (!_active) return;
            _active = false;
            _ = MallOpt(MMmapMax, 65536);             // glibc's DEFAULT_MMAP_MAX
            _ = MallOpt(MTrimThreshold, 128 * 1024);  // glibc's DEFAULT_TRIM_THRESHOLD
            Trim();
        }
    }

    private const int MArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h
    private const int MTrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MMmapMax = -4; // M_MMAP_MAX

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
