// References the library built by Build.csx and teaches the kernel to show its objects:
// figures and patching results as interactive heatmaps, prompts as coloured tokens, caches as
// tables of hook names and shapes, and library errors as one readable message.
#r "../.lib/IclNotebook.dll"
#r "../.lib/TorchSharp.dll"
#r "../.lib/Microsoft.ML.Tokenizers.dll"

using Microsoft.DotNet.Interactive.Formatting;

// One set of views per setup run: its first figure carries plotly.js (re-running this cell repairs a
// page that lost it). Library errors (IclException) read as their one-line message.
var iclViews = new IclNotebook.Notebooks.NotebookViews();
foreach (var type in IclNotebook.Notebooks.NotebookViews.Types)
    Formatter.Register(type, (value, writer) => writer.Write(iclViews.Html(value)), "text/html");

// A cell that reads a variable an earlier, failed cell left null is not run: it fails with one line naming the
// variable and the cell to fix (IclNotebook.Notebooks.CellGuard), not with a null-reference stack trace.
if (Microsoft.DotNet.Interactive.Kernel.Current is Microsoft.DotNet.Interactive.CSharp.CSharpKernel iclKernel
    && System.AppDomain.CurrentDomain.GetData("icl-cell-guard") is null)   // once per kernel, however often the set-up runs
{
    System.AppDomain.CurrentDomain.SetData("icl-cell-guard", true);
    var iclGuard = new IclNotebook.Notebooks.CellGuard();
    System.Collections.Generic.IEnumerable<(string, object?)> IclVariables() =>
        iclKernel.ScriptState?.Variables.Select(v => (v.Name, (object?)v.Value)) ?? [];
    iclKernel.AddMiddleware(async (command, context, next) =>
    {
        if (command is not Microsoft.DotNet.Interactive.Commands.SubmitCode submit) { await next(command, context); return; }
        if (iclGuard.BeforeCell(submit.Code, IclVariables()) is { } reason) { context.Fail(command, null, reason); return; }
        var before = iclKernel.ScriptState;
        await next(command, context);
        var after = iclKernel.ScriptState;
        iclGuard.AfterCell(submit.Code, failed: after is not null && !object.ReferenceEquals(after, before) && after.Exception is not null, IclVariables());
    }, "icl-cell-guard");
}
