namespace IclNotebook.Heads;

/// <summary>
/// Options of <see cref="HeadDetector.DetectHead(Model.HookedTransformer, IReadOnlyList{int}, HeadPattern, HeadDetectorOptions?)"/>,
/// TL's keyword arguments.
/// </summary>
public sealed record HeadDetectorOptions
{
    /// <summary>Leave attention to the first position (BOS) out of the comparison (TL's <c>exclude_bos</c>). Default false.</summary>
    public bool ExcludeBos { get; init; }

    /// <summary>Leave each position's attention to itself out of the comparison (TL's <c>exclude_current_token</c>). Default false.</summary>
    public bool ExcludeCurrentToken { get; init; }

    /// <summary>How a head's pattern is compared with the detection pattern. Default <see cref="ErrorMeasure.Mul"/>, as in TL.</summary>
    public ErrorMeasure ErrorMeasure { get; init; } = ErrorMeasure.Mul;

    public static HeadDetectorOptions Default { get; } = new();

    /// <summary>TL's keyword arguments, e.g. <c>exclude_bos=True, exclude_current_token=False, error_measure="mul"</c>.</summary>
    public override string ToString() =>
        $"exclude_bos={(ExcludeBos ? "True" : "False")}, exclude_current_token={(ExcludeCurrentToken ? "True" : "False")}, " +
        $"error_measure=\"{ErrorMeasure.Name()}\"";
}
