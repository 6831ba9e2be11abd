using IclNotebook.Model;

namespace IclNotebook.Toy;

/// <summary>
/// A finished training run: the trained model (raw weights, unembedding tied to the embedding;
/// the caller owns and disposes it), the options, the curve, the training time and how many
/// training sequences happened to equal a held-out one (the held-out accuracy is on unseen mappings when 0).
/// </summary>
public sealed record ToyTrainingRun(HookedTransformer Model, ToyTrainingOptions Options, IReadOnlyList<ToyTrainingPoint> Curve,
    double Seconds, int HeldOutSeenInTraining) : IDisposable
{
    /// <summary>The last measured point.</summary>
    public ToyTrainingPoint Final => Curve[^1];

    public void Dispose() => Model.Dispose();
}
