using System.Diagnostics;

namespace IclNotebook.Progress;

/// <summary>What a renderer shows of one task at one moment.</summary>
/// <param name="Report">The latest report.</param>
/// <param name="IsNewTask">Whether this report starts a task (the first for its name since another task).</param>
/// <param name="Elapsed">Time since the task started.</param>
/// <param name="PerSecond">
/// Units per second of work done since the task started, not counting work reported done at once; NaN until measurable.
/// </param>
/// <param name="Remaining">Estimated time left; null until a rate is known or once done.</param>
public sealed record ProgressSnapshot(WorkProgress Report, bool IsNewTask, TimeSpan Elapsed, double PerSecond, TimeSpan? Remaining)
{
    /// <summary>Done / Total in [0, 1] (0 when the total is unknown).</summary>
    public double Fraction => Report.Total > 0 ? Math.Clamp((double)Report.Done / Report.Total, 0, 1) : 0;

    public bool IsDone => Report.Total > 0 && Report.Done >= Report.Total;

    /// <summary>"12.3/45.6 MB" for bytes, "120/278 patches" otherwise.</summary>
    public string Counts => Report.Unit == WorkProgress.Bytes
        ? $"{Megabytes(Report.Done)}/{Megabytes(Report.Total)} MB"
        : $"{Report.Done}/{Report.Total} {Report.Unit}";

    /// <summary>"4.2 MB/s", "12.5 patches/s", or "" before a rate is known.</summary>
    public string Rate => !double.IsFinite(PerSecond) ? ""
        : Report.Unit == WorkProgress.Bytes ? $"{Megabytes((long)PerSecond)} MB/s"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{PerSecond:F1} {Report.Unit}/s");

    /// <summary>"about 1 min 05 s left", or "" when unknown.</summary>
    public string Left => Remaining is { } r ? $"about {Duration(r)} left" : "";

    /// <summary>"8.4 s" or "3 min 07 s".</summary>
    public static string Duration(TimeSpan t) => t.TotalSeconds < 90
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalSeconds:F1} s")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes} min {t.Seconds:00} s");

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The kit's one model of progress: follows successive <see cref="WorkProgress"/> reports (one
/// task at a time, as the kit reports them) and computes elapsed time, rate and time left. The
/// rate counts only work done after the task started, so work reported done at once (no-op
/// patches, a resumed download) does not make the estimate optimistic. Thread-safe.
/// </summary>
public sealed class ProgressMeter
{
    private readonly object _gate = new();
    private readonly Func<TimeSpan> _clock;
    private string? _task;
    private TimeSpan _start;
    private long _startDone;

    /// <param name="clock">Time source (a running stopwatch by default; tests pass their own).</param>
    public ProgressMeter(Func<TimeSpan>? clock = null)
    {
        var watch = Stopwatch.StartNew();
        _clock = clock ?? (() => watch.Elapsed);
    }

    /// <summary>Takes a report and says what to show.</summary>
    public ProgressSnapshot Update(WorkProgress report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            var now = _clock();
            bool isNew = report.Task != _task;
            if (isNew)
            {
                _task = report.Task;
                _start = now;
                _startDone = report.Done;
            }
            var elapsed = now - _start;
            long measured = report.Done - _startDone;
            double perSecond = elapsed.TotalSeconds >= 0.5 && measured > 0 ? measured / elapsed.TotalSeconds : double.NaN;
            TimeSpan? remaining = double.IsFinite(perSecond) && report.Total > report.Done
                ? TimeSpan.FromSeconds((report.Total - report.Done) / perSecond)
                : null;
            return new ProgressSnapshot(report, isNew, elapsed, perSecond, remaining);
        }
    }
}
