using System.Text.Json;
using System.Text.Json.Serialization;

namespace IclNotebook.Teaching;

/// <summary>
/// Every exercise's latest check (<see cref="Exercises.Summary"/>): the counts, a line per exercise, and the JSON an
/// instructor collects when grading headless runs.
/// </summary>
public sealed record ExerciseSummary(IReadOnlyList<ExerciseCheck> Checks)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public int Right => Checks.Count(c => c.Outcome == CheckOutcome.Right);

    public int Wrong => Checks.Count(c => c.Outcome == CheckOutcome.Wrong);

    public int NotDone => Checks.Count(c => c.Outcome == CheckOutcome.NotDone);

    /// <summary>
    /// <c>{"right": 6, "wrong": 1, "not_done": 1, "exercises": [{"exercise": "prompts", "outcome": "right", "message": ...}, ...]}</c>.
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        right = Right,
        wrong = Wrong,
        not_done = NotDone,
        exercises = Checks.Select(c => new { exercise = c.Exercise, outcome = c.Outcome, message = c.Message }),
    }, Json);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> whole (a temporary file, then renamed over it).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new IclException($"ICL_GRADES: the folder of {full} does not exist; create it or point ICL_GRADES at an existing folder.");
        var temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, ToJson() + "\n");
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>The counts, then one line per exercise.</summary>
    public override string ToString() =>
        $"{Right} of {Checks.Count} exercises right, {Wrong} wrong, {NotDone} not done yet\n" + string.Join("\n", Checks);
}
