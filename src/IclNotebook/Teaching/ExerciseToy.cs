using IclNotebook.Hooks;
using IclNotebook.Icl;
using IclNotebook.Loading;
using IclNotebook.Model;
using IclNotebook.Patching;

namespace IclNotebook.Teaching;

/// <summary>
/// What the checks compare with: the shipped toy model (<see cref="ShippedModels.Toy"/>), its associative-recall task, the
/// task's prompts and the patching setup the library builds from them. Loaded once, on the first check (offline, a second).
/// </summary>
public sealed class ExerciseToy : IDisposable
{
    private static readonly object Gate = new();
    private static ExerciseToy? _shared;

    private ExerciseToy()
    {
        Model = ModelLoader.LoadFolder(ShippedModels.Folder(ShippedModels.Toy));
        Task = IclTask.Load(TaskFiles.Default("associative-recall"));
        Prompts = Task.BuildPrompts(Model.Tokenizer);
        Setup = PatchingSetup.Create(Model, Prompts);
        _residPre = new(() => new FastEngine().Run(Setup, PatchTargets.ResidPre), LazyThreadSafetyMode.ExecutionAndPublication);
        _heads = new(() => new FastEngine().Run(Setup, PatchTargets.AttnHeadAllPosEvery), LazyThreadSafetyMode.ExecutionAndPublication);
        _attention = new(AttentionScores, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private readonly Lazy<PatchResult> _residPre;
    private readonly Lazy<PatchResult> _heads;
    private readonly Lazy<(double[][] Previous, double[][] QueryToLabel)> _attention;

    /// <summary>The one instance the checks and the exercise notebook share.</summary>
    public static ExerciseToy Instance
    {
        get
        {
            lock (Gate) return _shared ??= new ExerciseToy();   // a failed load is tried again on the next check, not remembered
        }
    }

    public HookedTransformer Model { get; }

    /// <summary>The associative-recall task (data/tasks/associative-recall.json): a label map red → blue → green → black → red.</summary>
    public IclTask Task { get; }

    /// <summary>The library's prompts for <see cref="Task"/>: what the prompt exercise's answer must equal.</summary>
    public IclPromptSet Prompts { get; }

    /// <summary>The library's setup (baselines, metric at each prompt's last real token).</summary>
    public PatchingSetup Setup { get; }

    /// <summary>The library's <c>resid_pre</c> grid of <see cref="Setup"/> (computed on first use).</summary>
    public PatchResult ResidPre => _residPre.Value;

    /// <summary>The library's five head panels of <see cref="Setup"/>: Output, Query, Key, Value, Pattern (computed on first use).</summary>
    public PatchResult Heads => _heads.Value;

    /// <summary>
    /// Each head's [layer][head] mean attention one token back on the clean prompts: pattern[p, p - 1] averaged over the
    /// positions 1 .. length - 1 of every prompt.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>> PreviousTokenScores => _attention.Value.Previous;

    /// <summary>
    /// Each head's [layer][head] attention from the query (each clean prompt's last real token) to the label of the
    /// demonstration the query asks (the one whose input it repeats), averaged over the prompts.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>> QueryToLabelAttention => _attention.Value.QueryToLabel;

    public void Dispose()
    {
        Setup.Dispose();
        Model.Dispose();
    }

    private (double[][] Previous, double[][] QueryToLabel) AttentionScores()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var cfg = Model.Config;
        var (_, cache) = Model.RunWithCache(Setup.CleanTokens, name => name.EndsWith(".attn.hook_pattern", StringComparison.Ordinal));
        using (cache)
        {
            var previous = new double[cfg.NLayers][];
            var toLabel = new double[cfg.NLayers][];
            for (int l = 0; l < cfg.NLayers; l++)
            {
                var pattern = cache[HookName.Pattern(l)].to(TorchSharp.torch.ScalarType.Float64).cpu();   // [batch, head, dest, src]
                previous[l] = new double[cfg.NHeads];
                toLabel[l] = new double[cfg.NHeads];
                for (int h = 0; h < cfg.NHeads; h++)
                {
                    double back = 0, label = 0;
                    int backCount = 0;
                    for (int b = 0; b < Prompts.Count; b++)
                    {
                        int length = Prompts.CleanTokens.Lengths[b];
                        for (int p = 1; p < length; p++, backCount++) back += pattern[b, h, p, p - 1].item<double>();
                        label += pattern[b, h, Setup.Metric.ReadPositions[b], AskedLabelPosition(b)].item<double>();
                    }
                    previous[l][h] = back / backCount;
                    toLabel[l][h] = label / Prompts.Count;
                }
            }
            return (previous, toLabel);
        }
    }

    /// <summary>The position of the label of the demonstration query <paramref name="query"/> asks, in its clean prompt.</summary>
    public int AskedLabelPosition(int query)
    {
        int asked = Task.Demos.ToList().FindIndex(d => d.Input == Task.Queries[query].Input);
        var labels = Anchors.LabelPositions.Find(Task, Model.Tokenizer, Prompts.CleanPrompts[query], Prompts.CleanTokens.Ids[query], query);
        return labels[asked];
    }
}
