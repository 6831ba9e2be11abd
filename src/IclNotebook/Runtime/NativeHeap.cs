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

    private const int MArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
