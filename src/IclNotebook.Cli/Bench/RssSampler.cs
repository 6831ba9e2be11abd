using System.Globalization;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// Peak resident memory of one phase: samples VmRSS every few milliseconds on a background
/// thread (VmHWM cannot be reset on every kernel, so a per-phase peak needs sampling).
/// </summary>
public sealed class RssSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peakKb;

    public RssSampler()
    {
        _peakKb = CurrentKb();
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                Interlocked.Exchange(ref _peakKb, Math.Max(Interlocked.Read(ref _peakKb), CurrentKb()));
                Thread.Sleep(2);
            }
        })
        { IsBackground = true, Name = "rss-sampler" };
        _thread.Start();
    }

    /// <summary>Highest RSS seen so far in this phase, MB.</summary>
    public double PeakMb => Math.Max(Interlocked.Read(ref _peakKb), CurrentKb()) / 1024.0;

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    /// <summary>Current RSS in kB from /proc/self/statm (resident pages x page size); 0 where absent.</summary>
    public static long CurrentKb()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize / 1024;
        }
        catch (IOException) { return 0; }
    }
}
