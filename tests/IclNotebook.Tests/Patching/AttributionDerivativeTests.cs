using IclNotebook.Icl;
using IclNotebook.Model;
using IclNotebook.Patching;
using IclNotebook.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Patching;

/// <summary>
/// Attribution patching estimates metric(corrupted + (clean - corrupted)) by its first-order Taylor
/// term, the directional derivative along (clean - corrupted). That derivative can be measured
/// without gradients: patch a fraction ±ε of the difference in and take the central difference.
/// Where the exact result and the estimate disagree most (the non-linear part), the estimate must
/// still equal that slope, so a disagreement is the model's curvature and not a wrong gradient.
/// </summary>
public class AttributionDerivativeTests(PatchingFixture fixture) : IClassFixture<PatchingFixture>
{
    private const double Eps = 1e-2;

    [Fact]
    public void Residual_attribution_is_the_directional_derivative_where_it_misses_the_exact_value_most()
    {
        var model = fixture.Model("processed");
        var prompts = IclTask.Load(Path.Combine(AppContext.BaseDirectory, "data", "tasks", "sentiment.json")).BuildPrompts(new Gpt2Tokenizer());
        using var setup = PatchingSetup.Create(model, prompts); // default corruption, metric at each prompt's last real token
        var approx = AttributionPatching.Run(setup, [PatchTargetSet.Of(PatchTargets.ResidPre)])[0];
        var exact = new FastEngine().Run(setup, PatchTargets.ResidPre);
        int positions = (int)exact.Shape[1];
        var worst = Enumerable.Range(0, exact.Values.Count).OrderByDescending(i => Math.Abs(approx.Values[i] - exact.Values[i])).Take(4).ToList();
        Assert.True(Math.Abs(approx.Values[worst[0]] - exact.Values[worst[0]]) > 0.1, "the fixture should have a clearly non-linear patch to test against");
        foreach (var i in worst)
        {
            int layer = i / positions, pos = i % positions;
            double slope = (Metric(setup, layer, pos, Eps) - Metric(setup, layer, pos, -Eps)) / (2 * Eps);
            double estimate = approx.Values[i] - setup.CorruptedBaseline;
            Assert.True(Math.Abs(estimate - slope) <= 2e-3 + 1e-2 * Math.Abs(slope),
                $"layer {layer}, position {pos}: attribution {estimate:F5}, finite-difference slope {slope:F5} (exact effect {exact.Values[i] - setup.CorruptedBaseline:F5})");
        }
    }

    /// <summary>The metric with resid_pre of <paramref name="layer"/> at <paramref name="pos"/> moved a fraction <paramref name="t"/> from corrupted towards clean, in every prompt.</summary>
    internal static double Metric(PatchingSetup setup, int layer, int pos, double t)
    {
        string hook = $"blocks.{layer}.hook_resid_pre";
        setup.Caches.Ensure([hook]);
        var clean = setup.Caches.Clean[hook];
        using var scope = NewDisposeScope();
        using var hooks = setup.Model.Hooks((hook, (act, _) =>
        {
            var at = new[] { TensorIndex.Colon, TensorIndex.Single(pos) };
            var moved = act.clone();
            moved.index_put_(act[at] + t * (clean[at] - act[at]), at);
            return moved;
        }));
        var readLogits = setup.Model.Run(setup.CorruptedTokens, new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(setup.Model.ModelDevice) });
        return setup.Metric.EvaluateAtRead(readLogits);
    }
}
