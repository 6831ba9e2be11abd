using System.Text.Json;
using IclNotebook.Studies;

namespace IclNotebook.Sweeps;

/// <summary>
/// DIR/sweep.json: the settings a sweep folder's results were computed with. The first run writes it; a later run (a
/// resume, another shard, the summary) must have the same settings, or its results would mix two experiments.
/// </summary>
internal static class SweepSettings
{
    public const string FileName = "sweep.json";

    public static void Claim(string folder, StudyOptions study, SweepOptions sweep, string toolVersion)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = study.Model,
            ["revision"] = study.Hub.Revision,
            ["processing"] = OptionNames.Name(study.Processing),
            ["dtype"] = OptionNames.Name(study.DType),
            ["shots"] = study.Shots?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "task's",
            ["prompts"] = study.Prompts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "task's",
            ["seed"] = study.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "task's",
            ["analyses"] = string.Join(",", sweep.Analyses.Select(OptionNames.Name)),
            ["accuracyShots"] = sweep.AccuracyShots is { } s ? string.Join(",", s) : "default",
            ["patchingTargets"] = string.Join(",", sweep.Patching.Targets),
            ["fvTopHeads"] = sweep.FunctionVectors.TopHeads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["tasks"] = string.Join(",", sweep.Tasks.Select(SweepTasks.Name)),
        };
        string path = Path.Combine(folder, FileName);
        if (File.Exists(path))
        {
            Dictionary<string, string>? stored;
            try { stored = JsonSerializer.Deserialize<Dictionary<string, string>>(JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("settings")); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new IclException($"{path} is not a sweep's settings file ({e.Message}); choose another --out.", e);
            }
            var differs = settings.Where(kv => stored?.GetValueOrDefault(kv.Key) != kv.Value).Select(kv => kv.Key).ToList();
            if (differs.Count > 0)
                throw new IclException($"{Path.GetFullPath(folder)} holds a sweep with other settings ({string.Join("; ", differs.Select(k =>
                    $"{k}: {stored?.GetValueOrDefault(k) ?? "(none)"} there, {settings[k]} now"))}); resume it with its own settings, or choose another --out.");
            return;
        }
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new IclException($"{Path.GetFullPath(folder)} exists and is not a sweep folder (no {FileName}); choose another --out.");
        Directory.CreateDirectory(folder);
        string temp = path + ".tmp";
        File.WriteAllText(temp, OutputFolder.Json(new { kind = "icl-sweep", tool = new { name = "icl", version = toolVersion }, settings }));
        File.Move(temp, path, overwrite: true);
    }
}
