using IclNotebook.Model;
using System.Diagnostics;
using IclNotebook.Studies;
using IclNotebook.Progress;

namespace IclNotebook.Heads;

/// <summary>
/// What <c>icl heads</c> scores: TL's three detection patterns on one sequence, and the induction benchmark
/// when the sequence is the default repeated random one.
/// </summary>
public sealed record HeadsOptions
{
    /// <summary>Text to score (tokenized by the model's tokenizer, BOS prepended as the family does). Default: none.</summary>
    public string? Text { get; init; }

    /// <summary>Token ids to score, used as given. Default: none (then <see cref="Text"/>, else the repeated random sequence).</summary>
    public IReadOnlyList<int>? Tokens { get; init; }

    /// <summary>Length of the random sequence that is repeated (default 50).</summary>
    public int Length { get; init; } = InductionBenchmark.DefaultLength;

    /// <summary>Seed of the random sequence (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>The detector's options (exclude_bos, exclude_current_token, error_measure). Default TL's.</summary>
    public HeadDetectorOptions Detector { get; init; } = HeadDetectorOptions.Default;
}

/// <summary>The result of <c>icl heads</c>.</summary>
public sealed record HeadsResult(string ModelName, string Revision, WeightProcessing Processing, ModelDType DType, string Sequence,
    IReadOnlyList<int> Tokens, IReadOnlyList<string> StrTokens, IReadOnlyList<HeadScores> Scores, double Seconds);

/// <summary>Runs <c>icl heads</c>.</summary>
public static class HeadsStudy
{
    public static async Task<HeadsResult> RunAsync(StudyOptions study, HeadsOptions heads, IProgress<WorkProgress>? progress = null,
            CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(heads);
        if (heads.Text is not null && heads.Tokens is not null)
            throw new IclException("Give the sequence to score as --text or as --tokens, not both.");
        var clock = Stopwatch.StartNew();
        using var input = await StudyInput.LoadAsync(study with { TaskPath = null }, progress, ct).ConfigureAwait(false);
        var model = input.Model;
        progress?.Report(WorkProgress.Stage("score heads"));
        IReadOnlyList<int> tokens;
        string sequence;
        bool benchmark = false;
        if (heads.Tokens is { } given)
        {
            tokens = given;
            sequence = "the token ids given";
        }
        else if (heads.Text is { } text)
        {
            tokens = model.Tokenizer.ToTokens([text]).Ids[0];
            sequence = "the text given";
        }
        else
        {
            tokens = InductionBenchmark.RepeatedRandomTokens(model, heads.Length, heads.Seed);
            sequence = $"a random sequence of {heads.Length} tokens (seed {heads.Seed}) repeated twice";
            benchmark = true;
        }
        using var patterns = Patterns.AttentionPatterns.Of(model, tokens);                           // one forward for every score
        var scores = HeadDetector.DetectHeads(model, tokens, HeadPatternNames.All, heads.Detector, patterns).ToList();
        if (benchmark) scores.Add(InductionBenchmark.PrefixMatching(model, patterns, tokens.ToArray(), heads.Length, heads.Seed));
        var str = model.HasTokenizer
            ? tokens.Select(t => model.Tokenizer.Decode(t)).ToArray()
            : tokens.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new HeadsResult(model.Config.Name, input.Revision, model.Processing, model.Config.DType, sequence, tokens.ToArray(), str, scores,
            clock.Elapsed.TotalSeconds);
    }
}
