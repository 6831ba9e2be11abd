using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;

namespace IclNotebook.Runtime;

/// <summary>
/// Makes TorchSharp's native code load on systems whose libstdc++ is older than the one
/// <c>libLibTorchSharp.so</c> was linked against (Debian 12, Ubuntu 22.04: GCC 12 lacks
/// GLIBCXX_3.4.32, needed only by an unused symbol). Runs automatically when this library is
/// first used (module initializer); a no-op on other operating systems and where the system
/// libstdc++ already defines every version the library asks for.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static string? _status;

    /// <summary>What the loader did: "not needed (...)" or the path of the patched copy.</summary>
    public static string Status { get { EnsureLoaded(); return _status!; } }

#pragma warning disable CA2255 // deliberate: must run before any TorchSharp call
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        try { EnsureLoaded(); }
        catch (Exception) { /* a module initializer must not throw; the first explicit EnsureLoaded call retries and reports it */ }
    }

    /// <summary>Idempotent; call before the first torch call when not going through this library.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_status != null) return;
            NativeHeap.LimitArenas(); // before libtorch allocates: fewer arenas, less stranded memory
            _status = Load();
        }
    }

    private static string Load()
    {
        if (!OperatingSystem.IsLinux()) return "not needed (not Linux)";
        var original = FindLibTorchSharp();
        if (original == null) return "not needed (libLibTorchSharp.so not found next to the app; TorchSharp will load it itself)";

        var bytes = File.ReadAllBytes(original);
        var missing = MissingLibStdCxxVersions(bytes, original);
        if (missing.Count == 0) return "not needed (system libstdc++ defines every version libLibTorchSharp.so needs)";

        var patched = PatchedCopy(original, bytes, missing);
        var torchAssembly = typeof(torch).Assembly;
        // Load the libtorch files TorchSharp itself would pick (never a second copy: two copies of
        // libtorch_cpu abort the process), then our patched LibTorchSharp; TorchSharp binds to it.
        // Beside libLibTorchSharp.so first: in a `dotnet build -o` folder (the notebooks' .lib) they
        // live in runtimes/linux-x64/native, where the assembly-relative search does not look.
        var dirs = LibTorchDirs(Path.GetDirectoryName(original)!).ToList();
        foreach (var dep in new[] { "c10", "torch_cpu", "torch" })
        {
            var found = dirs.Select(d => Path.Combine(d, $"lib{dep}.so")).FirstOrDefault(File.Exists);
            if (!(found is not null && NativeLibrary.TryLoad(found, out _)))
                NativeLibrary.TryLoad(dep, torchAssembly, null, out _);
        }
        try
        {
            NativeLibrary.Load(patched);
        }
        catch (DllNotFoundException e)
        {
            throw new IclException("TorchSharp's native library could not be loaded " +
                $"even after relaxing {string.Join(", ", missing)} in {patched}: {e.Message}. " +
                "Install a newer libstdc++ (GCC 13+) or report this.", e);
        }
        return patched;
    }

    /// <summary>The libstdc++ versions <paramref name="elf"/> requires that the loaded libstdc++ lacks.</summary>
    internal static IReadOnlySet<string> MissingLibStdCxxVersions(byte[] elf, string name)
    {
        var needed = ElfVersionPatcher.ReadVersionNeeds(elf, name)
            .Where(n => n.File.StartsWith("libstdc++", StringComparison.Ordinal) && !n.IsWeak)
            .Select(n => n.Version).ToHashSet(StringComparer.Ordinal);
        var system = SystemLibStdCxx();
        if (system == null) return new HashSet<string>();
        var defined = ElfVersionPatcher.ReadVersionDefinitions(File.ReadAllBytes(system), system);
        needed.ExceptWith(defined);
        return needed;
    }

    private static string PatchedCopy(string original, byte[] bytes, IReadOnlySet<string> missing)
    {
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var dir = Path.Combine(CacheFolders.Native, hash);
        var target = Path.Combine(dir, Path.GetFileName(original));
        if (File.Exists(target)) return target;
        var copy = (byte[])bytes.Clone();
        ElfVersionPatcher.Weaken(copy, missing, original);
        var temp = target + "." + Environment.ProcessId + ".tmp";
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(temp, copy);
            File.Move(temp, target, overwrite: true); // atomic: concurrent processes write identical bytes
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new IclException($"Could not write the patched TorchSharp library to {dir} ({e.Message}). Set ICL_CACHE to a writable folder.", e);
        }
        return target;
    }

    /// <summary>
    /// Where libtorch's own files may be: beside libLibTorchSharp.so (a build output folder), else, in the NuGet layout a
    /// notebook's <c>#r "nuget: IclNotebook"</c> loads from, libtorch's package beside TorchSharp's in the package cache
    /// (packages/libtorch-cpu-linux-x64/VERSION/runtimes/linux-x64/native; the newest version first: a cache holding an older
    /// libtorch beside the one this TorchSharp needs would need the exact version, which only TorchSharp's own code names).
    /// </summary>
    private static IEnumerable<string> LibTorchDirs(string nativeDir)
    {
        yield return nativeDir;
        var asmDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (string.IsNullOrEmpty(asmDir)) yield break;
        var libtorch = Path.GetFullPath(Path.Combine(asmDir, "..", "..", "..", "..", "libtorch-cpu-linux-x64"));
        if (!Directory.Exists(libtorch)) yield break;
        var versions = Directory.GetDirectories(libtorch)
            .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)))
            .OrderByDescending(x => x.Version);                                                    // 2.10.0 above 2.9.1
        foreach (var (dir, _) in versions) yield return Path.Combine(dir, "runtimes", "linux-x64", "native");
    }

    private static string? FindLibTorchSharp()
    {
        const string file = "libLibTorchSharp.so";
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string search)
            dirs.AddRange(search.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        dirs.Add(AppContext.BaseDirectory);
        var asmDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(asmDir))
        {
            dirs.Add(asmDir);
            dirs.Add(Path.Combine(asmDir, "runtimes", "linux-x64", "native")); // dotnet build -o folder (notebooks/.lib)
            // NuGet layout (notebooks): lib/net*/TorchSharp.dll beside runtimes/linux-x64/native/.
            dirs.Add(Path.GetFullPath(Path.Combine(asmDir, "..", "..", "runtimes", "linux-x64", "native")));
        }
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        return dirs.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists);
    }

    private static string? SystemLibStdCxx()
    {
        // The runtime itself links libstdc++, so it is already mapped into this process.
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && line.Contains("libstdc++.so", StringComparison.Ordinal)) return line[slash..];
            }
        }
        catch (IOException) { }
        var candidates = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" };
        foreach (var candidate in candidates)
            if (File.Exists(candidate)) return candidate;
        return null;
    }

}
