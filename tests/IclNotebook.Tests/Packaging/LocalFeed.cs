using IclNotebook.Tests.Notebooks;

namespace IclNotebook.Tests.Packaging;

/// <summary>
/// A local NuGet feed with this checkout's two packages, packed once for the package tests (Release): <c>IclNotebook</c>
/// and <c>IclNotebook.Cli</c> for linux-x64 only (each platform's tool package carries its libtorch). The kit's version is
/// packed again on every run, so the copies a previous run left in the NuGet cache are removed first: a stale package of
/// the same version would otherwise be used instead of the one just packed.
/// </summary>
public sealed class LocalFeed : IDisposable
{
    private readonly TempFolder _folder = new("icl-feed");

    public LocalFeed()
    {
        Version = KitVersion.Current;
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "iclnotebook", "iclnotebook.cli", "iclnotebook.cli.linux-x64" })
        {
            var stale = System.IO.Path.Combine(cache, id, Version);
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
        }
        Pack("src/IclNotebook/IclNotebook.csproj");
        Pack("src/IclNotebook.Cli/IclNotebook.Cli.csproj", "-p:ToolPackageRuntimeIdentifiers=linux-x64");
    }

    /// <summary>The feed folder (the .nupkg files).</summary>
    public string Path => _folder.Path;

    /// <summary>The version packed: the kit's (<see cref="KitVersion.Current"/>).</summary>
    public string Version { get; }

    /// <summary>The file of package <paramref name="id"/> in the feed.</summary>
    public string Package(string id) => System.IO.Path.Combine(Path, $"{id}.{Version}.nupkg");

    private void Pack(string project, params string[] more)
    {
        var run = Repo.Dotnet(["pack", System.IO.Path.Combine(Repo.Root, project), "-c", "Release", "-o", Path, "-nologo", .. more], Repo.Root, timeoutSeconds: 900);
        Assert.True(run.ExitCode == 0, $"dotnet pack {project} failed:\n{run.StdOut}\n{run.StdErr}");
    }

    public void Dispose() => _folder.Dispose();
}
