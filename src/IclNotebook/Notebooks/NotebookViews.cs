using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Plots;
using IclNotebook.Tokenization;

namespace IclNotebook.Notebooks;

/// <summary>
/// How the library's objects look in a notebook (HTML) and in a terminal (text): figures and
/// patching results as heatmaps, prompt sets and token batches as coloured tokens, activation
/// caches as tables of hook names and shapes, patching setups as their baselines, models as their
/// configuration and tensors as shape, statistics and first values. The notebooks'
/// setup makes one instance per kernel and registers its <see cref="Html"/> for every type in
/// <see cref="Types"/> with the kernel's formatter: the first figure it renders carries plotly.js,
/// later ones wait for it (re-running the setup makes a new instance, which repairs a page that lost
/// the bundle). The file-based twins print <see cref="Text"/> and save figures as HTML files.
/// </summary>
public sealed class NotebookViews
{
    private int _bundleWritten;

    /// <summary>Types with a view.</summary>
    public static IReadOnlyList<Type> Types { get; } =
        [typeof(PlotlyFigure), typeof(PatchResult), typeof(IclPromptSet), typeof(TokenBatch), typeof(ActivationCache), typeof(PatchingSetup),
         typeof(HookedTransformer), typeof(TorchSharp.torch.Tensor), typeof(Patterns.AttentionView),
         typeof(Teaching.ExerciseCheck), typeof(Teaching.ExerciseSummary)];

    /// <summary>The HTML view of <paramref name="value"/>, or null for a type without one.</summary>
    public string? Html(object? value) => value switch
    {
        PlotlyFigure f => Figure(f),
        PatchResult r => PatchResultView.Html(r, Figure),
        IclPromptSet p => PromptSetView.Html(p),
        TokenBatch b => TokenBatchView.Html(b),
        ActivationCache c => CacheView.Html(c),
        PatchingSetup s => SetupView.Html(s),
        HookedTransformer m => ModelView.Html(m),
        TorchSharp.torch.Tensor t => TensorView.Html(t),
        Patterns.AttentionView a => a.ToHtml(),
        Teaching.ExerciseCheck c => ExerciseView.Html(c),
        Teaching.ExerciseSummary s => ExerciseView.Html(s),
        _ => null,
    };

    /// <summary>A figure's fragment: with plotly.js inline the first time, then waiting for it.</summary>
    private string Figure(PlotlyFigure figure) => NotebookFigureHtml.Render(figure, withBundle: Interlocked.Exchange(ref _bundleWritten, 1) == 0);

    /// <summary>The text view of <paramref name="value"/>; other values print as themselves.</summary>
    public static string Text(object? value) => value switch
    {
        null => "null",
        PlotlyFigure f => f.ToString(),
        PatchResult r => PatchResultView.Text(r),
        IclPromptSet p => PromptSetView.Text(p),
        TokenBatch b => TokenBatchView.Text(b),
        ActivationCache c => CacheView.Text(c),
        PatchingSetup s => SetupView.Text(s),
        HookedTransformer m => ModelView.Text(m),
        TorchSharp.torch.Tensor t => TensorView.Text(t),
        _ => value.ToString() ?? "",
    };
}
