namespace IclNotebook.Patching;

/// <summary>Settings of the fast exact engine.</summary>
public sealed record FastEngineOptions
{
    /// <summary>
    /// Memory budget for one batched forward, MB (estimated from the model's widths and the
    /// segment length). Default 768. Larger batches run faster up to a point; smaller ones cap
    /// peak memory on big models.
    /// </summary>
    public int BatchMemoryMb { get; init; } = 768;

    /// <summary>
    /// Largest number of extra positions a variant may recompute so it can share a batch with
    /// variants that start earlier, as a fraction of the batch's segment. Default 0.125.
    /// </summary>
    public double MaxStartSpread { get; init; } = 0.125;

    /// <summary>
    /// Compute positions that all prompts share (the demonstrations) once per patch instead of
    /// once per prompt, packing each prompt's own continuation into the same row. Default true.
    /// </summary>
    public bool PackSharedPrefix { get; init; } = true;
}
