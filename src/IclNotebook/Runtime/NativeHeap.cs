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

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
