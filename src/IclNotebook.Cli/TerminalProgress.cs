using IclNotebook.Progress;
using Spectre.Console;

namespace IclNotebook.Cli;

/// <summary>
/// Progress on stderr for the <c>icl</c> commands: on a terminal a live Spectre.Console bar per
/// task whose text carries the kit's own rate and time left (<see cref="ProgressMeter"/>); when
/// stderr is redirected (logs, CI) the plain <see cref="ProgressLines"/>, one line per 10%.
/// </summary>
internal static class TerminalProgress
{
    /// <summary>Runs <paramref name="work"/> with a progress sink; null sink when <paramref name="quiet"/>.</summary>
    public static async Task<T> RunAsync<T>(bool quiet, Func<IProgress<WorkProgress>?, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (quiet) return await work(null).ConfigureAwait(false);
        if (Console.IsErrorRedirected) return await work(new ProgressLines(Console.Error)).ConfigureAwait(false);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes, // stderr is a terminal; stdout may be piped (icl analyze prints the folder)
        });
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .StartAsync(async context => result = await work(new Bars(context)).ConfigureAwait(false))
            .ConfigureAwait(false);
        return result;
    }

    /// <summary>One bar per task; its description shows counts, rate and time left from the meter.</summary>
    private sealed class Bars(ProgressContext context) : IProgress<WorkProgress>
    {
        private readonly object _gate = new();
        private readonly ProgressMeter _meter = new();
        private ProgressTask? _bar;

        public void Report(WorkProgress value)
        {
            lock (_gate)
            {
                var s = _meter.Update(value);
                if (s.IsNewTask)
                {
                    _bar?.StopTask();
                    _bar = context.AddTask(Markup.Escape(value.Task), maxValue: Math.Max(1, value.Total));
                }
                var bar = _bar!;
                bar.MaxValue = Math.Max(1, value.Total);
                bar.Value = value.Unit == WorkProgress.Steps && value.Total <= 1 ? bar.MaxValue : value.Done;
                var details = string.Join("  ", new[] { value.Unit == WorkProgress.Steps ? "" : s.Counts, s.Rate, s.Left }.Where(x => x.Length > 0));
                bar.Description = Markup.Escape(details.Length == 0 ? value.Task : $"{value.Task}  {details}");
                if (s.IsDone) bar.StopTask();
            }
        }
    }
}
