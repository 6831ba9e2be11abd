namespace IclNotebook.Teaching;

/// <summary>
/// One check per exercise of the teaching notebook, each against the library's own result on the shipped toy model
/// (<see cref="ExerciseToy"/>): <c>Exercises.CheckPrompts(clean, corrupted)</c> and so on. A stub left as it is (null or
/// NaN) is "not done yet"; a wrong answer gets what differs and, where it matches a typical mistake, which one. Every check
/// is recorded for <see cref="Summary"/> (and written to <c>ICL_GRADES</c> when that names a file, for grading).
/// </summary>
public static partial class Exercises
{
    private const double Tolerance = 1e-4;

    private const string PromptsExercise = "prompts";
    private const string MetricExercise = "metric";
    private const string NormaliseExercise = "normalisation";
    private const string ResidPatchExercise = "resid_pre patch";
    private const string PositionsExercise = "positions loop";
    private const string HeadPatchExercise = "head patch (hook_z)";
    private const string PanelsExercise = "five panels";
    private const string CircuitExercise = "circuit heads";

    /// <summary>The exercises, in the notebook's order: the names their checks report under.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [PromptsExercise, MetricExercise, NormaliseExercise, ResidPatchExercise, PositionsExercise, HeadPatchExercise, PanelsExercise, CircuitExercise];

    private static readonly Dictionary<string, ExerciseCheck> Latest = [];

    /// <summary>
    /// Every exercise's latest check in this process (an exercise never checked is "not done yet"). Each check also rewrites
    /// this summary as JSON to the file <c>ICL_GRADES</c> names, if set, so a headless run leaves its grades even when a
    /// later cell fails.
    /// </summary>
    public static ExerciseSummary Summary()
    {
        lock (Latest)
            return new ExerciseSummary(Names.Select(n => Latest.TryGetValue(n, out var c) ? c : ExerciseCheck.NotDone(n)).ToList());
    }

    private static ExerciseCheck Record(ExerciseCheck check)
    {
        lock (Latest)
        {
            Latest[check.Exercise] = check;
            var grades = Environment.GetEnvironmentVariable("ICL_GRADES");
            if (!string.IsNullOrWhiteSpace(grades)) Summary().Save(grades);
        }
        return check;
    }

    private static bool Close(IReadOnlyList<double> got, IReadOnlyList<double> want) =>
        got.Count == want.Count && got.Zip(want).All(p => Math.Abs(p.First - p.Second) <= Tolerance);

    private static bool Close(double got, double want) => Math.Abs(got - want) <= Tolerance;

    private static int FirstDifference(string a, string b) =>
        Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));

    private static string Show(string text) =>
        text.Replace("\r", "\\r (a carriage return: join lines with \"\\n\" alone)", StringComparison.Ordinal).Replace("\n", "↵", StringComparison.Ordinal);
}
