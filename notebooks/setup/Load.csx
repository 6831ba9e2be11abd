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
