// Builds the IclNotebook library (Release) into notebooks/.lib, the folder the next cell
// references with #r. Incremental: a few seconds when nothing changed. No NuGet package is
// involved, so a rebuilt library can never be shadowed by a stale package cache; a kernel that
// has already loaded the library keeps it until it restarts (.NET cannot unload it).
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;

static string IclSetupFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

{
    var notebooks = Path.GetFullPath(Path.Combine(IclSetupFolder(), ".."));
    var project = Path.Combine(notebooks, "..", "src", "IclNotebook", "IclNotebook.csproj");
    var lib = Path.Combine(notebooks, ".lib");
    if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "IclNotebook"))
    {
        Console.WriteLine("IclNotebook is already loaded in this kernel: restart the kernel to build and load a changed library.");
    }
    else
    {
        if (!File.Exists(project)) throw new FileNotFoundException($"The IclNotebook project is not at {Path.GetFullPath(project)}; run the notebooks from the repository's notebooks folder.");
        var clock = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "build", Path.GetFullPath(project), "-c", "Release", "-o", lib, "-p:CopyLocalLockFileAssemblies=true", "-nologo", "-v", "q", "-clp:ErrorsOnly;NoSummary" })
            psi.ArgumentList.Add(a);
        using var build = Process.Start(psi)!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        build.WaitForExit();
        if (build.ExitCode != 0)
            throw new InvalidOperationException($"Building IclNotebook failed (dotnet build exit {build.ExitCode}):\n{(output.Result + errors.Result).Trim()}");
        Console.WriteLine($"IclNotebook built into {lib} in {clock.Elapsed.TotalSeconds:F1} s.");
    }
}
