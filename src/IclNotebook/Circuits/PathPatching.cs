using IclNotebook.Patching;
using IclNotebook.Progress;

namespace IclNotebook.Circuits;

/// <summary>How <see cref="PathPatching.Run"/> computes its grid.</summary>
public sealed record PathPatchingOptions
{
    /// <summary><see cref="PatchEngineKind.Fast"/> (default) or <see cref="PatchEngineKind.Reference"/>: the same numbers.</summary>
    public PatchEngineKind Engine { get; init; } = PatchEngineKind.Fast;

    /// <summary>Memory for one batched forward of the fast engine (as <see cref="FastEngineOptions.BatchMemoryMb"/>).</summary>
    public int BatchMemoryMb { get; init; } = FastEngineOptions.DefaultBatchMemoryMb();
}

/// <summary>
/// Exact path patching (Wang et al. 2022): how much of the clean behaviour one component's output brings back through one
/// connection alone. For a sender (a head's or an MLP's output) and a receiver (a head's query, key or value input, an MLP's
/// input, or the logits): in the corrupted run, the sender's output is taken from the clean run, every other head and MLP is
/// frozen at its corrupted value so the change reaches the receiver directly and by no other path, the receiver's input is
/// recomputed with it, and everything after the receiver runs freely; the metric is read as in activation patching. A
/// sender that cannot reach a receiver (the same or a later layer; a head into its own layer's MLP when attention and MLP run
/// in parallel) has no effect: exactly the corrupted run.
/// </summary>
public static class PathPatching
{
    /// <summary>
    /// The grid of every sender into every receiver for <paramref name="setup"/>'s clean and corrupted prompts; senders default
    /// to every head and MLP (<see cref="PathSender.All"/>), receivers to every input (<see cref="PathReceiver.All"/>).
    /// </summary>
    public static PathPatchingResult Run(PatchingSetup setup, IReadOnlyList<PathSender>? senders = null,
        IReadOnlyList<PathReceiver>? receivers = null, PathPatchingOptions? options = null, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        options ??= new PathPatchingOptions();
        (senders, receivers) = Graph(setup.Model.Config, senders, receivers, "Path patching");
        var perPrompt = options.Engine switch
        {
            PatchEngineKind.Fast => new FastPathPatching(setup, options.BatchMemoryMb).Run(senders, receivers, progress, ct),
            PatchEngineKind.Reference => ReferencePathPatching.Run(setup, senders, receivers, progress, ct),
            _ => throw new IclException($"Path patching runs on the fast or the reference engine, not '{options.Engine}' " +
                "(edge attribution patching estimates the same paths by gradients)."),
        };
        return PathPatchingResult.Of(setup, senders, receivers, perPrompt, options.Engine);
    }

    /// <summary>
    /// The senders and receivers a grid runs over (null: every one of the model), checked against <paramref name="config"/>:
    /// at least one of each, every one a component of the model.
    /// </summary>
    internal static (IReadOnlyList<PathSender> Senders, IReadOnlyList<PathReceiver> Receivers) Graph(Model.ModelConfig config,
        IReadOnlyList<PathSender>? senders, IReadOnlyList<PathReceiver>? receivers, string method)
    {
        senders ??= PathSender.All(config);
        receivers ??= PathReceiver.All(config);
        if (senders.Count == 0 || receivers.Count == 0)
            throw new IclException($"{method} needs at least one sender and one receiver; got {senders.Count} and {receivers.Count}.");
        foreach (var s in senders) s.Check(config);
        foreach (var r in receivers) r.Check(config);
        return (senders, receivers);
    }
}
