using System.Diagnostics;
using System.Globalization;
using IclNotebook.Patching;

namespace IclNotebook.Notebooks;

/// <summary>
/// Patching progress as plain lines on standard output, one per 10% of each target, with the
/// elapsed time and an estimate of what is left. Notebook outputs and CI logs cannot redraw a bar;
/// lines also stay readable in an executed notebook.
/// </summary>
public sealed class PatchProgressLines : IProgress<PatchProgress>
{
    private readonly object _gate = new();
    private readonly Stopwatch _clock = new();
    private readonly TextWriter _writer;
    private string _target = "";
    private long _startDone;
    private int _decile = -1;

    /// <param name="writer">Where lines go; standard output by default.</param>
    public PatchProgressLines(TextWriter? writer = null) => _writer = writer ?? Console.Out;

    /// <inheritdoc/>
    public void Report(PatchProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            if (value.Target != _target)
            {
                _target = value.Target;
                _startDone = value.Done; // no-op patches are reported at once; the rate counts real work
                _decile = -1;
                _clock.Restart();
            }
            int decile = value.Total > 0 ? (int)(10 * value.Done / value.Total) : 10;
            if (decile == _decile) return;
            _decile = decile;
            double seconds = _clock.Elapsed.TotalSeconds;
            long worked = value.Done - _startDone;
            string eta = worked > 0 && value.Done < value.Total
                ? string.Create(CultureInfo.InvariantCulture, $", about {FormatSeconds(seconds / worked * (value.Total - value.Done))} left")
                : "";
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{value.Target}: {decile * 10,3}% ({value.Done}/{value.Total} patches, {FormatSeconds(seconds)}{eta})"));
        }
    }

    private static string FormatSeconds(double s) =>
        s < 90 ? string.Create(CultureInfo.InvariantCulture, $"{s:F1} s") : string.Create(CultureInfo.InvariantCulture, $"{(int)(s / 60)} min {(int)(s % 60):00} s");
}
