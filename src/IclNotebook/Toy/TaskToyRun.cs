using IclNotebook.Model;

namespace IclNotebook.Toy;

/// <summary>
/// A finished task-toy training run: the trained model (raw weights, unembedding tied; the caller owns and disposes it),
/// the options, the curve and the training time (measurements excluded).
/// </summary>
public sealed record TaskToyRun(HookedTransformer Model, TaskToyOptions Options, IReadOnlyList<TaskToyPoint> Curve, double Seconds) : IDisposable
{
    public void Dispose() => Model.Dispose();
}
