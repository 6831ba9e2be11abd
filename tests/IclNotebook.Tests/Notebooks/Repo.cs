using System.Diagnostics;

namespace IclNotebook.Tests.Notebooks;

/// <summary>The repository the tests were built from, and child processes run inside it.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Notebooks => Path.Combine(Root, "notebooks");

    /// <summary>The walkthrough notebooks, by file name without extension.</summary>
    public static IReadOnlyList<string> NotebookNames =>
        Directory.GetFiles(Notebooks, "*.ipynb").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList()!;

    public sealed record Outcome(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed);

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="workingDirectory"/>; ICL_DEBUG is cleared so errors look as users see them.</summary>
    public static Outcome Dotnet(IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? env = null, int timeoutSeconds = 600) =>
        Run("dotnet", args, workingDirectory, env, timeoutSeconds);

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> in <paramref name="workingDirectory"/> (ICL_DEBUG cleared).</summary>
    public static Outcome Run(string program, IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? env = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("ICL_DEBUG");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IclNotebook.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"IclNotebook.sln not found above {AppContext.BaseDirectory}");
    }
}
