namespace IclNotebook.Progress;

/// <summary>
/// Progress as plain lines, for places that cannot redraw a bar: notebook outputs, CI logs, a
/// redirected terminal. One line when a task starts and one per 10% of it, with counts, elapsed
/// time, rate and time left; single-step stages get their start line only.
/// </summary>
public sealed class ProgressLines : IProgress<WorkProgress>
{
    private readonly object _gate = new();
    private readonly ProgressMeter _meter;
    private readonly TextWriter _writer;
    private int _decile = -1;

    /// <param name="writer">Where lines go; standard output by default.</param>
    /// <param name="meter">The progress model (a fresh one by default).</param>
    public ProgressLines(TextWriter? writer = null, ProgressMeter? meter = null)
    {
        _writer = writer ?? Console.Out;
        _meter = meter ?? new ProgressMeter();
    }

    /// <inheritdoc/>
    public void Report(WorkProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var s = _meter.Update(value);
            if (s.IsNewTask) _decile = -1;
            if (value.Unit == WorkProgress.Steps && value.Total <= 1)
            {
                if (s.IsNewTask) _writer.WriteLine($"{value.Task}...");
                return;
            }
            int decile = (int)(s.Fraction * 10);
            if (decile == _decile) return;
            _decile = decile;
            var details = string.Join(", ", new[] { s.Counts, ProgressSnapshot.Duration(s.Elapsed), s.Rate, s.Left }.Where(x => x.Length > 0));
            _writer.WriteLine($"{value.Task}: {decile * 10,3}% ({details})");
        }
    }
}
