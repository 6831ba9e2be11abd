using IclNotebook.Twins;

// Regenerates notebooks/*.cs from notebooks/*.ipynb, or with --check only reports twins that
// are out of date (exit 1), as CI does.
bool check = args.Contains("--check");
var folder = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? FindNotebooks();
var notebooks = Directory.GetFiles(folder, "*.ipynb").Order(StringComparer.Ordinal).ToList();
if (notebooks.Count == 0)
{
    Console.Error.WriteLine($"twins: no notebooks in {folder}");
    return 1;
}
int stale = 0;
foreach (var notebook in notebooks)
{
    var twin = TwinGenerator.TwinPath(notebook);
    var text = TwinGenerator.Generate(notebook);
    bool current = File.Exists(twin) && File.ReadAllText(twin) == text;
    if (current) continue;
    if (check)
    {
        stale++;
        Console.Error.WriteLine($"twins: {Path.GetFileName(twin)} is out of date with {Path.GetFileName(notebook)}; " +
            "run: dotnet run --project src/IclNotebook.Twins");
    }
    else
    {
        File.WriteAllText(twin, text);
        Console.WriteLine($"twins: wrote {Path.GetRelativePath(Environment.CurrentDirectory, twin)}");
    }
}
if (!check) Console.WriteLine($"twins: {notebooks.Count} notebook(s), twins up to date.");
return stale == 0 ? 0 : 1;

static string FindNotebooks()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "IclNotebook.sln"))) return Path.Combine(dir.FullName, "notebooks");
    throw new DirectoryNotFoundException("Run from inside the IclNotebook repository, or pass the notebooks folder.");
}
