using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Model;

/// <summary>tiny-gpt2-a loaded both ways, and the fixture prompts, shared by the golden tests.</summary>
public sealed class ModelFixture : IDisposable
{
    private readonly Dictionary<WeightProcessing, HookedTransformer> _models = new();

    public HookedTransformer Get(WeightProcessing processing)
    {
        lock (_models)
        {
            if (!_models.TryGetValue(processing, out var m))
                _models[processing] = m = ModelLoader.LoadFolder(Fixtures.TinyModel, processing);
            return m;
        }
    }

    public static WeightProcessing Parse(string processing) => processing == "raw" ? WeightProcessing.Raw : WeightProcessing.Default;

    public static Tensor Tokens(string which) =>
        tensor(Fixtures.LongRows(Fixtures.Json(Fixtures.Golden("raw")).GetProperty("tokens").GetProperty(which)).SelectMany(r => r).ToArray(),
            [4, 139], dtype: ScalarType.Int64);

    public void Dispose()
    {
        foreach (var m in _models.Values) m.Dispose();
    }
}
