using System.CommandLine;
using System.Globalization;
using IclNotebook.ActivationPatching;
using IclNotebook.Studies;

namespace IclNotebook.Cli.Commands;

/// <summary><c>icl merge DIR...</c>: the shards of a sharded <c>icl analyze</c> joined into the folder an unsharded run writes.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var folders = new Argument<string[]>("shards")
        {
            Description = "shard folders (each holding the shard.json `icl analyze --shard` wrote), or a folder whose subfolders are shard folders",
            HelpName = "DIR",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string?>("--out")
        {
            Description = "output folder (default: merged/ beside the shard folders, when they share a parent)",
            HelpName = "DIR",
        };
        var force = new Option<bool>("--force") { Description = "replace an existing output folder" };
        var command = new Command("merge", """
            Join the shards of one `icl analyze --shard K/N` run into results.json, report.html and figures,
            as the unsharded run writes them. Checks first that the shards belong to one run (model, revision,
            task file and its hash, targets, engine, metric, icl version) and that every shard 0..N-1 is there
            exactly once; if not, it names the shard folders at fault and writes nothing.
            """) { folders, outDir, force };
        command.SetAction((parse, ct) =>
        {
            var files = PatchingStudyMerge.FindShardFiles(parse.GetValue(folders)!);
            string folder = parse.GetValue(outDir) ?? DefaultFolder(files);
            bool replace = parse.GetValue(force);
            OutputFolder.CheckTarget(folder, replace);
            var result = PatchingStudyMerge.Merge(files);
            ct.ThrowIfCancellationRequested();
            PatchingStudyOutput.Write(result, folder, replace, IclCommandLine.Version, w => Console.Error.WriteLine($"icl: warning: {w}"));
            var shards = result.Shards!;
            string seconds = string.Join(", ", shards.Seconds.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)));
            string balance = shards.Balance.ToString("F2", CultureInfo.InvariantCulture);
            Console.Error.WriteLine($"icl: merged {shards.Count} shards ({seconds} s; longest/shortest {balance})");
            Console.WriteLine(Path.GetFullPath(folder));
            return Task.FromResult(0);
        });
        return command;
    }

    private static string DefaultFolder(IReadOnlyList<string> files)
    {
        var parents = files.Select(f => Path.GetDirectoryName(Path.GetDirectoryName(f)!)!).Distinct(StringComparer.Ordinal).ToList();
        if (parents.Count != 1) throw new IclException("The shard folders have different parents, so there is no default output folder; pass --out.");
        return Path.Combine(parents[0], "merged");
    }
}
