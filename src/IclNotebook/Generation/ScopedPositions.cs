using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Generation;

/// <summary>Sets a model's <see cref="TokenPositions"/> for one forward; disposing restores none.</summary>
internal sealed class ScopedPositions : IDisposable
{
    private readonly HookedTransformer _model;

    public ScopedPositions(HookedTransformer model, Tensor positions, Tensor promptLengths, int firstRow)
    {
        _model = model;
        model.Positions = new TokenPositions(positions, promptLengths, firstRow);
    }

    public void Dispose() => _model.Positions = null;
}
