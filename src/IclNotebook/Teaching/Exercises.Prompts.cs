namespace IclNotebook.Teaching;

public static partial class Exercises
{
    /// <summary>
    /// Exercise 1: the clean and corrupted prompt texts of the toy's associative-recall task, one per query: the
    /// demonstrations (<c>{input} {label}</c>, one per line), then the query's input; in the corrupted prompts every
    /// demonstration label goes through the task's label map, all labels at once.
    /// </summary>
    public static ExerciseCheck CheckPrompts(IReadOnlyList<string>? clean, IReadOnlyList<string>? corrupted) => Record(Prompts(clean, corrupted));

    private static ExerciseCheck Prompts(IReadOnlyList<string>? clean, IReadOnlyList<string>? corrupted)
    {
        const string name = PromptsExercise;
        if (clean is null || corrupted is null) return ExerciseCheck.NotDone(name);
        var want = ExerciseToy.Instance.Prompts;
        if (clean.Concat(corrupted).Any(p => p is null))
            return ExerciseCheck.Wrong(name, "some prompts are null: build one clean and one corrupted prompt for every query.");
        if (clean.Count != want.Count || corrupted.Count != want.Count)
            return ExerciseCheck.Wrong(name, $"expected one prompt per query ({want.Count}); got {clean.Count} clean and {corrupted.Count} corrupted.");
        for (int i = 0; i < want.Count; i++)
            if (clean[i] != want.CleanPrompts[i])
                return ExerciseCheck.Wrong(name, $"clean prompt {i} differs at character {FirstDifference(clean[i], want.CleanPrompts[i])}:\n" +
                    $"  yours:    {Show(clean[i])}\n  expected: {Show(want.CleanPrompts[i])}");
        var toy = ExerciseToy.Instance;
        IReadOnlyList<string>? sequential = null;   // the Colab's loop, built only for a wrong corrupted prompt
        for (int i = 0; i < want.Count; i++)
        {
            if (corrupted[i] == want.CorruptedPrompts[i]) continue;
            if (corrupted[i] == clean[i])
                return ExerciseCheck.Wrong(name, $"corrupted prompt {i} is its clean prompt: no label went through the map.");
            sequential ??= toy.Task.BuildPrompts(toy.Model.Tokenizer, Icl.CorruptionReplay.Sequential).CorruptedPrompts;
            if (corrupted[i] == sequential[i])
                return ExerciseCheck.Wrong(name, $"corrupted prompt {i}: the map was applied one label after another, so a label " +
                    "already mapped was mapped again (red → blue, then that blue → green). Map every label at once, from the clean labels.");
            return ExerciseCheck.Wrong(name, $"corrupted prompt {i} differs at character {FirstDifference(corrupted[i], want.CorruptedPrompts[i])}:\n" +
                $"  yours:    {Show(corrupted[i])}\n  expected: {Show(want.CorruptedPrompts[i])}");
        }
        return ExerciseCheck.Right(name, $"all {want.Count} clean and corrupted prompts are right.");
    }

}
