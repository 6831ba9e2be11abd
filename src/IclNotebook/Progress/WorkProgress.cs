namespace IclNotebook.Progress;

/// <summary>
/// One progress report, the kit's only kind: a download (<see cref="Bytes"/>), a patching target
/// (<see cref="Patches"/>), prompts scored (<see cref="Prompts"/>) or a stage of an analysis (<see cref="Steps"/>). <paramref name="Done"/>
/// counts what is finished so far out of <paramref name="Total"/>, including work finished at once
/// (a resumed download's bytes, no-op patches); <see cref="ProgressMeter"/> turns successive
/// reports into rate and time left, and renderers (<see cref="ProgressLines"/>, the CLI's bar)
/// show them.
/// </summary>
/// <param name="Task">What is in progress: a file name, a patch target, a stage ("load model").</param>
/// <param name="Done">Units finished.</param>
/// <param name="Total">Units in all (0 when unknown).</param>
/// <param name="Unit">What is counted: <see cref="Bytes"/>, <see cref="Patches"/> or <see cref="Steps"/>.</param>
public sealed record WorkProgress(string Task, long Done, long Total, string Unit)
{
    public const string Bytes = "bytes";
    public const string Patches = "patches";
    public const string Steps = "steps";
    public const string Prompts = "prompts";

    /// <summary>A stage that is starting (one step, none done).</summary>
    public static WorkProgress Stage(string name) => new(name, 0, 1, Steps);
}
