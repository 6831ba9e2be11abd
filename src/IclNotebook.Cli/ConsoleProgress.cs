using System.Diagnostics;
using IclNotebook.Loading.Hub;

namespace IclNotebook.Cli;

/// <summary>
/// A download progress bar on stderr with rate and ETA. When stderr is not a terminal (CI logs)
/// it prints a plain line every 10% instead of redrawing.
/// </summary>
public sealed class ConsoleProgress : IProgress<DownloadProgress>
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private string _file = "";
    private long _startBytes;
    private int _lastDecile = -1;
    private long _lastDrawMs = -1000;

    public void Report(DownloadProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            if (value.File != _file) { _file = value.File; _startBytes = value.BytesDone; _clock.Restart(); _lastDecile = -1; }
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            double rate = (value.BytesDone - _startBytes) / seconds;
            long total = value.BytesTotal;
            double fraction = total > 0 ? Math.Clamp((double)value.BytesDone / total, 0, 1) : 0;
            string eta = rate > 0 && total > 0 ? $"ETA {TimeSpan.FromSeconds((total - value.BytesDone) / rate):mm\\:ss}" : "";
            string figures = $"{Mb(value.BytesDone)}/{Mb(total)} MB  {Mb((long)rate)} MB/s  {eta}";
            bool done = total > 0 && value.BytesDone >= total;
            if (_interactive)
            {
                if (!done && _clock.ElapsedMilliseconds - _lastDrawMs < 100) return;
                _lastDrawMs = _clock.ElapsedMilliseconds;
                int width = 30, filled = (int)(fraction * width);
                Console.Error.Write($"\r{value.File,-20} [{new string('#', filled)}{new string(' ', width - filled)}] {fraction,4:P0}  {figures}   ");
                if (done) Console.Error.WriteLine();
            }
            else
            {
                int decile = (int)(fraction * 10);
                if (decile == _lastDecile) return;
                _lastDecile = decile;
                Console.Error.WriteLine($"{value.File}: {fraction:P0}  {figures}");
            }
        }
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
