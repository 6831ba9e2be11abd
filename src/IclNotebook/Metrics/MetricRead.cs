namespace IclNotebook.Metrics;

/// <summary>
/// Where the metric reads each prompt's next-token distribution. Independent of how the
/// corruption is replayed (<see cref="Icl.CorruptionReplay"/>).
/// </summary>
public enum MetricRead
{
    /// <summary>Each prompt's own last real token (the corrected behaviour; the default).</summary>
    LastToken,

    /// <summary>
    /// The last column of the right-padded batch, <c>logits[:, -1]</c>, for every prompt, as the
    /// original Colab reads it: for the shorter prompts a padding position, not the query's last
    /// token. Reproduces numbers computed that way; not a meaningful measurement for padded prompts.
    /// </summary>
    LastColumn,
}

