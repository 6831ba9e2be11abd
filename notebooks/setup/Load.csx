// References the library built by Build.csx and teaches the kernel to show its objects:
// figures and patching results as interactive heatmaps, prompts as coloured tokens, caches as
// tables of hook names and shapes, and library errors as one readable message.
#r "../.lib/IclNotebook.dll"
#r "../.lib/TorchSharp.dll"
#r "../.lib/Microsoft.ML.Tokenizers.dll"

using Microsoft.DotNet.Interactive.Formatting;

IclNotebook.Notebooks.NotebookViews.ResetFigureBundle(); // the next figure carries plotly.js
foreach (var type in IclNotebook.Notebooks.NotebookViews.Types)
    Formatter.Register(type, (value, writer) => writer.Write(IclNotebook.Notebooks.NotebookViews.Html(value)), "text/html");

// Library errors (IclException) print as their one-line message; ICL_DEBUG=1 shows stack traces.
IclNotebook.IclException.ShowStackTrace = System.Environment.GetEnvironmentVariable("ICL_DEBUG") == "1";
