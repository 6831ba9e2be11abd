namespace IclNotebook.Patching;

/// <summary>Settings of the fast exact engine.</summary>
public sealed record FastEngineOptions
{
    /// <summary>
    /// Memory budget for one batched forward, MB (estimated from the model's widths and the
    /// segment length). Default <see cref="DefaultBatchMemoryMb()"/>: an eighth of the memory the
    /// machine has available when the options are made, at most <see cref="MaxDefaultBatchMemoryMb"/>
    /// and at least <see cref="MinDefaultBatchMemoryMb"/>. Larger batches run faster up to a point;
    /// smaller ones cap peak memory on big models.
    /// </summary>
    public int BatchMemoryMb { get; init; } = DefaultBatchMemoryMb();

    /// <summary>The default budget's cap, MB: past it larger batches gave no speed on GPT-2 small here.</summary>
    public const int MaxDefaultBatchMemoryMb = 768;

    /// <summary>The default budget's floor, MB, on a machine short of memory.</summary>
    public const int MinDefaultBatchMemoryMb = 64;

    /// <summary>An eighth of <see cref="Runtime.MachineMemory.AvailableBytes()"/>, within the floor and the cap.</summary>
    public static int DefaultBatchMemoryMb() => DefaultBatchMemoryMb(Runtime.MachineMemory.AvailableBytes());

    /// <summary>An eighth of <paramref name="availableBytes"/>, in MB, within the floor and the cap.</summary>
    public static int DefaultBatchMemoryMb(long availableBytes) =>
        (int)Math.Clamp(availableBytes / 8 / (1024 * 1024), MinDefaultBatchMemoryMb, MaxDefaultBatchMemoryMb);

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
