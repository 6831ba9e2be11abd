using IclNotebook;
using IclNotebook.Cli.Commands;

// `icl`: every failure is one line on stderr and a non-zero exit code — 1 for a user error, 2 for
// an unexpected one, 130 for Ctrl-C — never a stack trace (set ICL_DEBUG=1 to see one).
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
    // The work stops at its next check of the token; should it not (seen under heavy load, a run that never returned after
    // Ctrl-C), the process still ends 5 s later, as cancelled. Output folders are written whole or not at all.
    _ = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ =>
    {
        Console.Error.WriteLine("icl: cancelled.");
        Environment.Exit(130);
    }, TaskScheduler.Default);
};
try
{
    return await IclCommandLine.RunAsync(args, cancel.Token);
}
catch (IclException e)
{
    Console.Error.WriteLine($"icl: {e.Message}");
    if (Environment.GetEnvironmentVariable("ICL_DEBUG") == "1") Console.Error.WriteLine(e.Details);
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("icl: cancelled.");
    return 130;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("ICL_DEBUG") != "1")
{
    Console.Error.WriteLine($"icl: unexpected {e.GetType().Name}: {e.Message.Split('\n')[0]} (set ICL_DEBUG=1 for details, and please report it).");
    return 2;
}
