using IclNotebook.Twins;

// Regenerates the student versions of the exercise notebooks (notebooks/NN-name.student.ipynb, from the solution regions of
// NN-name.ipynb) and every notebook's file-based twin (notebooks/*.cs), or with --check only reports files that are out of
// date (exit 1), as CI does.
bool check = args.Contains("--check");
var folder = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? FindNotebooks();
var sources = Directory.GetFiles(folder, "*.ipynb").Where(p => !StudentNotebook.IsStudent(p)).Order(StringComparer.Ordinal).ToList();
if (sources.Count == 0)
{
    Console.Error.WriteLine($"twins: no notebooks in {folder}");
    return 1;
}

// Every notebook's JSON as it must be: the sources as they are, the student versions as generated from them.
var notebooks = new List<(string Path, string Json)>();
foreach (var source in sources)
{
    var json = File.ReadAllText(source);
    notebooks.Add((source, json));
    if (StudentNotebook.HasSolutions(json))
        notebooks.Add((StudentNotebook.StudentPath(source), StudentNotebook.Generate(json, Path.GetFileName(source))));
}
int stale = 0;
foreach (var (path, json) in notebooks)
{
    if (StudentNotebook.IsStudent(path)) Update(path, json, Path.GetFileName(path).Replace(".student", "", StringComparison.Ordinal));
    Update(TwinGenerator.TwinPath(path), TwinGenerator.Generate(Path.GetFileNameWithoutExtension(path), json, path), Path.GetFileName(path));
}
foreach (var orphan in Directory.GetFiles(folder, "*.student.ipynb").Where(p => notebooks.All(n => Path.GetFullPath(n.Path) != Path.GetFullPath(p))))
{
    if (check)
    {
        stale++;
        Console.Error.WriteLine($"twins: {Path.GetFileName(orphan)} has no source with solution regions; run: dotnet run --project src/IclNotebook.Twins");
    }
    else
    {
        File.Delete(orphan);
        File.Delete(TwinGenerator.TwinPath(orphan));
        Console.WriteLine($"twins: deleted {Path.GetFileName(orphan)} and its twin (no source with solution regions)");
    }
}
if (!check) Console.WriteLine($"twins: {notebooks.Count} notebook(s), student notebooks and twins up to date.");
return stale == 0 ? 0 : 1;

void Update(string file, string text, string from)
{
    if (File.Exists(file) && File.ReadAllText(file) == text) return;
    if (check)
    {
        stale++;
        Console.Error.WriteLine($"twins: {Path.GetFileName(file)} is out of date with {from}; run: dotnet run --project src/IclNotebook.Twins");
    }
    else
    {
        File.WriteAllText(file, text);
        Console.WriteLine($"twins: wrote {Path.GetRelativePath(Environment.CurrentDirectory, file)}");
    }
}

static string FindNotebooks()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "IclNotebook.sln"))) return Path.Combine(dir.FullName, "notebooks");
    throw new DirectoryNotFoundException("Run from inside the IclNotebook repository, or pass the notebooks folder.");
}
