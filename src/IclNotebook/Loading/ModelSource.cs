using IclNotebook.Loading.Hub;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// The one call notebooks and the CLI use: a model name (<c>gpt2</c>, ...) or folder -> a loaded
/// <see cref="HookedTransformer"/>, downloading into (or reusing) the Hugging Face cache.
/// </summary>
public static class ModelSource
{
    /// <param name="nameOrPath">Known model name or a folder with config.json + model.safetensors.</param>
    /// <param name="processing">TL default processing (default) or raw.</param>
    /// <param name="device">CPU by default.</param>
    /// <param name="hub">Hub settings; from the HF_* environment variables by default.</param>
    /// <param name="progress">Download progress, if a download happens.</param>
    /// <param name="ct">Cancels a download.</param>
    public static async Task<HookedTransformer> LoadAsync(string nameOrPath, WeightProcessing processing = WeightProcessing.Default,
        Device? device = null, HubOptions? hub = null, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        var folder = await ModelLocator.ResolveAsync(nameOrPath, hub ?? HubOptions.FromEnvironment(), progress, ct).ConfigureAwait(false);
        return ModelLoader.LoadFolder(folder, processing, device, name: Directory.Exists(nameOrPath) ? null : nameOrPath);
    }

    /// <summary>Synchronous form for notebooks and scripts.</summary>
    public static HookedTransformer Load(string nameOrPath, WeightProcessing processing = WeightProcessing.Default, Device? device = null) =>
        LoadAsync(nameOrPath, processing, device).GetAwaiter().GetResult();
}
