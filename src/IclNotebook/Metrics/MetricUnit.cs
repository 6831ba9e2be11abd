namespace IclNotebook.Metrics;

/// <summary>The unit of a metric's values (in results.json by name: <c>nats</c>, <c>logits</c>, <c>probability</c>).</summary>
public enum MetricUnit
{
    /// <summary>Log-probability of the answer (natural log).</summary>
    Nats,

    /// <summary>A logit difference (answer minus wrong answer).</summary>
    Logits,

    /// <summary>Softmax probability of the answer.</summary>
    Probability,
}
