using IclNotebook.Patching;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// Everything the function-vector protocol produced: the indirect-effect grid as a patching result
/// (values = mean P(answer) on the corrupted prompts with that head patched; its corrupted baseline
/// is the unpatched mean, so value − baseline is the head's average indirect effect), the top heads,
/// the vector and the zero-shot test.
/// </summary>
public sealed record FunctionVectorResult
{
    /// <summary>[Layer, Head] patching result in probability units; <see cref="Aie"/> gives value − corrupted baseline.</summary>
    public required PatchResult Grid { get; init; }

    /// <summary>Average indirect effect per head, [layer][head].</summary>
    public required IReadOnlyList<IReadOnlyList<double>> Aie { get; init; }

    /// <summary>The heads summed into the vector, best first, with their AIE.</summary>
    public required IReadOnlyList<(int Layer, int Head, double Aie)> TopHeads { get; init; }

    public required FunctionVector Vector { get; init; }

    /// <summary>Zero-shot accuracy with and without the vector, per layer tried.</summary>
    public required IReadOnlyList<ZeroShotResult> ZeroShot { get; init; }

    /// <summary>The zero-shot prompts (query template alone).</summary>
    public required IReadOnlyList<string> ZeroShotPrompts { get; init; }

    /// <summary>Mean P(answer) on the clean and the corrupted prompts (no patch).</summary>
    public required double CleanProbability { get; init; }
    public required double CorruptedProbability { get; init; }

    /// <summary>How the corrupted prompts were made: the task's own corruption or a seeded shuffle.</summary>
    public required string Corruption { get; init; }

    /// <summary>The protocol, in words, with its parameters.</summary>
    public required string Definition { get; init; }

    public required FunctionVectorOptions Options { get; init; }

    /// <summary>The zero-shot row with the highest accuracy with the vector (ties: higher P(answer)).</summary>
    public ZeroShotResult Best => ZeroShot.OrderByDescending(z => z.AccuracyWith).ThenByDescending(z => z.ProbabilityWith).First();
}
