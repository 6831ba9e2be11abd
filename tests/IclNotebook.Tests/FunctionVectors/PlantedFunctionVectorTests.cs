using System.Globalization;
using IclNotebook.FunctionVectors;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Tests.FunctionVectors;

/// <summary>
/// On the planted model (<see cref="PlantedModels"/>), prompts "BOS x1 y1 ... xk yk q" whose query q
/// repeats the input of a demonstration labelled A: the induction head L1H0 copies that label. With
/// the labels swapped (A ↔ B) it copies B; setting its last-token output to its clean mean restores
/// A, so it must top the indirect-effect grid, far above every other head.
/// </summary>
public sealed class PlantedFunctionVectorTests : IDisposable
{
    private const int A = 20, B = 21;
    private readonly IclNotebook.Model.HookedTransformer _model = PlantedModels.Create();

    public void Dispose() => _model.Dispose();

    private static (TokenBatch Clean, TokenBatch Corrupted) Prompts()
    {
        var rng = new Random(8);
        var clean = new List<int[]>();
        var corrupted = new List<int[]>();
        for (int p = 0; p < 6; p++)
        {
            var inputs = Enumerable.Range(1, 15).OrderBy(_ => rng.Next()).Take(5).ToArray();
            var labels = inputs.Select((_, i) => i % 2 == 0 ? A : B).OrderBy(_ => rng.Next()).ToArray();
            int query = inputs[Array.IndexOf(labels, A)];
            int[] Row(Func<int, int> label) => [0, .. inputs.SelectMany((x, i) => new[] { x, label(labels[i]) }), query];
            clean.Add(Row(y => y));
            corrupted.Add(Row(y => y == A ? B : A));
        }
        return (new TokenBatch(clean, 0), new TokenBatch(corrupted, 0));
    }

    [Fact]
    public void The_head_that_copies_the_label_tops_the_indirect_effect_grid()
    {
        var (clean, corrupted) = Prompts();
        using var scope = NewDisposeScope();
        var answers = Enumerable.Repeat(A, clean.Count).ToArray();
        var means = HeadMeans.AtLastToken(_model, clean);
        var (patched, _, unpatched) = IndirectEffects.Run(_model, corrupted, answers, means);
        double baseline = unpatched.Average();
        var aie = patched.Select(p => p - baseline).ToArray();
        int best = Array.IndexOf(aie, aie.Max());
        Assert.Equal(4, best);                                                            // L1H0 (layer 1 * 4 heads + head 0)
        Assert.True(aie[best] > 0.5, $"L1H0's AIE is {aie[best]:F3}");
        string others = string.Join(", ", aie.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)));
        Assert.True(aie.Where((_, i) => i != best).All(v => Math.Abs(v) < 0.1 * aie[best]), $"other heads: {others}");
        Assert.True(FunctionVectorAnalysis.Probability(_model, clean, answers) > 0.5, "the planted model should answer A on the clean prompts");
    }
}
