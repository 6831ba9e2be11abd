using IclNotebook.Model;
using IclNotebook.Runtime;
using static TorchSharp.torch;

namespace IclNotebook.FunctionVectors;

/// <summary>
/// A function vector (Todd et al. 2024): the sum over the top heads by average indirect effect of
/// each head's mean last-token output times its W_O, a d_model vector that, added to the residual
/// stream of a prompt without demonstrations, makes the model do the task. No b_O: the original
/// code adds the output bias once per head on models whose output projection has a bias.
/// </summary>
/// <param name="Heads">The (layer, head) pairs summed, best first.</param>
/// <param name="Values">The vector, d_model floats.</param>
public sealed record FunctionVector(IReadOnlyList<(int Layer, int Head)> Heads, IReadOnlyList<float> Values)
{
    /// <summary>Euclidean norm of the vector.</summary>
    public double Norm => Math.Sqrt(Values.Sum(v => (double)v * v));

    /// <summary>Σ over <paramref name="heads"/> of <c>means[l, h] @ W_O[l, h]</c>; <paramref name="means"/>: [layer, head, d_head].</summary>
    public static FunctionVector Build(HookedTransformer model, Tensor means, IReadOnlyList<(int Layer, int Head)> heads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(heads);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sum = zeros(model.Config.DModel, device: model.ModelDevice);
        foreach (var (l, h) in heads)
            sum = sum.Plus(means[l, h].matmul(Precision.ToResidual(model.BlockWeight(StateDictKey.WO(l))[h])));   // [d_head] @ [d_head, d_model], float32
        return new FunctionVector(heads.ToArray(), TensorValues.Flat(sum).Select(v => (float)v).ToArray());
    }

    /// <summary>The vector as a tensor on <paramref name="device"/> (caller's scope).</summary>
    public Tensor ToTensor(Device device) => tensor(Values.ToArray(), device: device);
}
