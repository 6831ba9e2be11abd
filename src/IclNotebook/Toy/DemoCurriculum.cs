namespace IclNotebook.Toy;

/// <summary>
/// The toy trainer's curriculum over the number of demonstrations: a step draws between
/// <see cref="ToyTrainingOptions.MinDemos"/> and <see cref="Most"/> of them, and <see cref="Most"/>
/// grows by one each time the running training accuracy (an exponential average over steps, 0.1
/// weight on the newest) reaches <see cref="ToyTrainingOptions.AdvanceAt"/>; the average then starts
/// again from zero, so each new count is trained on for a while before the next. With the shipped
/// settings the first stretch is long: training sits at two demonstrations (loss ~0.37 nats:
/// a label from the context, not yet the right one) for ~7,000 steps, then the
/// previous-token and induction heads form and the count climbs to twelve within ~1,500-2,000 steps.
/// Drawn from two to twelve from the start (AdvanceAt 0), training sat at "a label from the
/// context" (loss 0.94, held-out 43%) for the 3,500 steps measured. The state is a function of
/// the accuracies seen, so a seeded run repeats.
/// </summary>
internal sealed class DemoCurriculum(ToyTrainingOptions options)
{
    private const double Weight = 0.1;
    private double running;

    /// <summary>The most demonstrations a step may draw now.</summary>
    public int Most { get; private set; } = options.MinDemos;

    /// <summary>The running training accuracy at <see cref="Most"/>'s current value.</summary>
    public double RunningAccuracy => running;

    /// <summary>Adds one step's training accuracy (share of its targets whose top token is the label); true when <see cref="Most"/> grew.</summary>
    public bool Observe(double accuracy)
    {
        running = (1 - Weight) * running + Weight * accuracy;
        if (running < options.AdvanceAt || Most >= options.MaxDemos) return false;
        Most++;
        running = 0;
        return true;
    }
}
