using System.Diagnostics;
using IclNotebook.Analysis;

namespace IclNotebook.Cli;

/// <summary>
/// Progress of analysis stages on stderr: a live bar with rate and ETA on a terminal, a plain line
/// per stage and every 10% otherwise (CI logs stay readable), nothing with <c>quiet</c>.
/// </summary>
public sealed class StageProgress(bool quiet) : IProgress<AnalysisStage>
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = new();
    private string _stage = "";
    private int _lastDecile = -1;
    private long _lastDrawMs = -1000;
    private long _startDone;

    public void Report(AnalysisStage value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (quiet) return;
        if (value.Name != _stage)
        {
            if (_interactive && _stage.Length > 0) Console.Error.WriteLine();
            _stage = value.Name;
            _lastDecile = -1;
            _startDone = value.Done; // work finished instantly (skipped no-op patches) does not count towards the rate
            _clock.Restart();
            if (!_interactive) Console.Error.WriteLine($"{value.Name}...");
        }
        if (value.Total <= 1) return;
        double fraction = (double)value.Done / value.Total, seconds = _clock.Elapsed.TotalSeconds;
        long measured = value.Done - _startDone;
        double perSecond = seconds > 0.5 && measured > 0 ? measured / seconds : double.NaN;
        string eta = double.IsFinite(perSecond) && value.Done < value.Total ? $"ETA {TimeSpan.FromSeconds((value.Total - value.Done) / perSecond):mm\\:ss}" : "";
        string rate = double.IsFinite(perSecond) ? $"{perSecond:F1}/s" : "";
        if (_interactive)
        {
            if (value.Done < value.Total && _clock.ElapsedMilliseconds - _lastDrawMs < 100) return;
            _lastDrawMs = _clock.ElapsedMilliseconds;
            int filled = (int)(fraction * 30);
            Console.Error.Write($"\r{value.Name,-28} [{new string('#', filled)}{new string(' ', 30 - filled)}] {value.Done}/{value.Total} {rate} {eta}   ");
        }
        else
        {
            int decile = (int)(fraction * 10);
            if (decile == _lastDecile) return;
            _lastDecile = decile;
            Console.Error.WriteLine($"  {value.Name}: {value.Done}/{value.Total} {rate} {eta}");
        }
    }
}
