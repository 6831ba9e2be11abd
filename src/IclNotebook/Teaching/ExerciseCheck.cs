namespace IclNotebook.Teaching;

/// <summary>How a student's answer to an exercise fared.</summary>
public enum CheckOutcome
{
    /// <summary>The cell still holds its stub: nothing to check yet.</summary>
    NotDone,

    /// <summary>The answer equals the library's own result.</summary>
    Right,

    /// <summary>The answer differs; the message says where and the likely mistake.</summary>
    Wrong,
}

/// <summary>
/// The result of one exercise's check (<see cref="Exercises"/>): the exercise, the outcome, and a message for the student
/// (what differs, by how much, the likely mistake; or what was right).
/// </summary>
public sealed record ExerciseCheck(string Exercise, CheckOutcome Outcome, string Message)
{
    public bool Passed => Outcome == CheckOutcome.Right;

    internal static ExerciseCheck NotDone(string exercise) =>
        new(exercise, CheckOutcome.NotDone, "not done yet: replace the stub (// your code here) with your answer and run the cell again.");

    internal static ExerciseCheck Right(string exercise, string message) => new(exercise, CheckOutcome.Right, message);

    internal static ExerciseCheck Wrong(string exercise, string message) => new(exercise, CheckOutcome.Wrong, message);

    /// <summary>One line: a tick, a cross or an ellipsis, the exercise and the message.</summary>
    public override string ToString() => $"{Outcome switch { CheckOutcome.Right => "✔", CheckOutcome.Wrong => "✘", _ => "…" }} {Exercise}: {Message}";
}
