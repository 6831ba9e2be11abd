using IclNotebook.Runtime;
using IclNotebook.Circuits;
using IclNotebook.Hooks;
using IclNotebook.Model;
using IclNotebook.Patching;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Circuits;

/// <summary>
/// Edge attribution: each receiver's input gradient is the derivative path patching's own receiver run has (central finite
/// differences along a random direction, every receiver of every family), and the estimates rank like the exact grid.
/// </summary>
public sealed class EdgeAttributionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(PathPatchingTests.Families), MemberType = typeof(PathPatchingTests))]
    public void Receiver_gradients_are_the_derivatives_of_the_receivers_runs(string family)
    {
        using var model = RandomModels.Create(seed: 5, layers: 2, heads: 2, family);
        using var setup = PathPatchingTests.RandomSetup(model, seed: 9, logitDifference: false);
        setup.Caches.Ensure([HookName.Embed, .. Enumerable.Range(0, 2).SelectMany(l => new[] { HookName.ResidPre(l), HookName.ResidMid(l) })
            .Where(model.HookPoints.ContainsKey), HookName.ResidPost(1)]);
        var receivers = PathReceiver.All(model.Config);
        using var gradients = new ReceiverGradients(setup, receivers, alpha: 0);
        const double Eps = 1e-3;
        double worst = 0;
        foreach (var receiver in receivers)
        {
            using var scope = NewDisposeScope();
            var input = InputOf(model, receiver);
            var corrupted = setup.Caches.Corrupted[input];
            manual_seed(receiver.GetHashCode());
            var direction = randn_like(corrupted);
            var analytic = gradients.Of([receiver])[0].mul(direction).sum([1, 2]).to(float64).data<double>().ToArray(); // [batch]
            var plus = Moved(setup, receiver, input, corrupted.Plus(direction.Times(Eps)));
            var minus = Moved(setup, receiver, input, corrupted.Minus(direction.Times(Eps)));
            for (int b = 0; b < analytic.Length; b++)
            {
                double numeric = (plus[b] - minus[b]) / (2 * Eps), error = Math.Abs(numeric - analytic[b]);
                worst = Math.Max(worst, error / Math.Max(1, Math.Abs(numeric)));
                Assert.True(error <= 1e-2 * Math.Max(1, Math.Abs(numeric)), $"{family} {receiver}, prompt {b}: gradient . direction {analytic[b]:G6}, " +
                    $"finite difference {numeric:G6}");
            }
        }
        output.WriteLine($"{family}: {receivers.Count} receivers, largest relative gap to the finite difference {worst:E2}");
    }

    /// <summary>The metric per prompt with <paramref name="receiver"/>'s input (hook <paramref name="input"/>) replaced.</summary>
    private static double[] Moved(PatchingSetup setup, PathReceiver receiver, string input, Tensor value)
    {
        if (receiver.Input != ReceiverInput.Logits)
        {
            using var inputs = new ActivationCache();
            inputs.Store(input, value.clone());
            return ReferencePathPatching.Receive(setup, receiver, inputs);
        }
        using var hooks = setup.Model.Hooks((input, (_, _) => value.clone()));
        var options = new ForwardOptions { UnembedPositions = setup.Metric.PositionsTensor(setup.Model.ModelDevice) };
        return setup.Metric.PerPromptAtRead(setup.Model.Run(setup.CorruptedTokens, options)).cpu().data<double>().ToArray();
    }

    private static string InputOf(HookedTransformer model, PathReceiver receiver) => receiver.Input switch
    {
        ReceiverInput.Logits => HookName.ResidPost(model.Config.NLayers - 1),
        ReceiverInput.Mlp when !model.Config.ParallelAttnMlp => HookName.ResidMid(receiver.Layer),
        _ => HookName.ResidPre(receiver.Layer),
    };
}
