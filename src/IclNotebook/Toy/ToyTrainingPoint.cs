namespace IclNotebook.Toy;

/// <summary>One point of the training curve.</summary>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="Loss">
/// Mean training cross-entropy (nats) over the steps since the previous point: of every label the
/// context determines (each repeated input's label, not only the query's), over the training
/// vocabulary (the task's tokens and the sampled competitors), so not comparable with
/// <paramref name="HeldOutLoss"/>, which is over all 50,257 tokens at the query.
/// </param>
/// <param name="MostDemos">The curriculum's most demonstrations per training sequence at this step.</param>
/// <param name="HeldOutAccuracy">Share of held-out sequences (mappings never trained on) whose top token is the answer.</param>
/// <param name="HeldOutLoss">Mean cross-entropy of the answer on the held-out sequences (nats).</param>
/// <param name="Elapsed">Training time so far (seconds), measurements excluded.</param>
public sealed record ToyTrainingPoint(int Step, double Loss, int MostDemos, double HeldOutAccuracy, double HeldOutLoss, double Elapsed)
{
    /// <summary>"step   500  loss 1.234  demos &lt;= 6  held-out accuracy  48.2% (loss 1.301)  41 s".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"step {Step,5}  loss {Loss:F3}  demos <= {MostDemos,2}  " +
        $"held-out accuracy {100 * HeldOutAccuracy,5:F1}% (loss {HeldOutLoss:F3})  {Elapsed:F0} s");
}
