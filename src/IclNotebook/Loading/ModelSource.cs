using IclNotebook.Progress;
using IclNotebook.Loading.Hub;
using IclNotebook.Model;
using IclNotebook.Tokenization;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// The one call notebooks and the CLI use: a model name (<c>gpt2</c>, ...) or folder -> a loaded
/// <see cref="HookedTransformer"/>, downloading into (or reusing) the Hugging Face cache.
/// </summary>
public static class ModelSource
{
    /// <param name="nameOrPath">
    /// A short name (gpt2, pythia-160m, ...), a Hugging Face repository id (EleutherAI/pythia-160m) or a folder with
    /// config.json + model.safetensors.
    /// </param>
    /// <param name="processing">TL default processing (default) or raw.</param>
    /// <param name="device">CPU by default.</param>
    /// <param name="hub">Hub settings (revision, token, cache, offline); from the HF_* environment variables by default.</param>
    /// <param name="progress">Download progress, if a download happens.</param>
    /// <param name="dtype">The weights' dtype; float32 by default (<see cref="ModelLoader.LoadFolder"/>).</param>
    /// <param name="ct">Cancels a download.</param>
    public static async Task<HookedTransformer> LoadAsync(string nameOrPath, WeightProcessing processing = WeightProcessing.Default,
        Device? device = null, HubOptions? hub = null, IProgress<WorkProgress>? progress = null, ModelDType dtype = ModelDType.Float32,
        CancellationToken ct = default) =>
        (await LoadWithSourceAsync(nameOrPath, processing, device, hub, progress, dtype: dtype, ct: ct).ConfigureAwait(false)).Model;

    /// <summary>As <see cref="LoadAsync"/>, also returning the folder the weights came from and its
    /// revision (the Hugging Face commit for cached models, else "local folder PATH"). A
    /// <paramref name="tokenizer"/> already read with <see cref="LoadTokenizerAsync"/> becomes the model's, so it is read once.</summary>
    public static async Task<(HookedTransformer Model, string Folder, string Revision)> LoadWithSourceAsync(string nameOrPath,
        WeightProcessing processing = WeightProcessing.Default, Device? device = null, HubOptions? hub = null,
        IProgress<WorkProgress>? progress = null, ModelTokenizer? tokenizer = null, ModelDType dtype = ModelDType.Float32,
        CancellationToken ct = default)
    {
        Runtime.DTypeSpeed.Check(dtype, device ?? CPU);                       // before any download
        var folder = await ModelLocator.ResolveAsync(nameOrPath, hub ?? HubOptions.FromEnvironment(), progress, ct).ConfigureAwait(false);
        var model = ModelLoader.LoadFolder(folder, processing, device, name: Directory.Exists(nameOrPath) ? null : nameOrPath, tokenizer,
            dtype);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var revision = Path.GetFileName(Path.GetDirectoryName(full)) == "snapshots" ? Path.GetFileName(full) : $"local folder {full}";
        return (model, folder, revision);
    }

    /// <summary>
    /// The tokenizer of a model, without loading or downloading its weights, so that a task can be
    /// tokenized and checked (labels one token, clean and corrupted prompts aligned) before the
    /// expensive part. Unknown names, incomplete folders and unsupported configs fail here as they
    /// would on load. GPT-2s use the tokenizer that ships with the library (nothing is downloaded for
    /// them); a hub model of another family has its config.json and tokenizer files downloaded (into
    /// the cache the weights will join); a folder of another family needs its tokenizer.json.
    /// </summary>
    public static async Task<ModelTokenizer> LoadTokenizerAsync(string nameOrPath, HubOptions? hub = null, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        var (folder, repo) = ModelLocator.Check(nameOrPath);
        if (folder is null && ModelLocator.IsBundledGpt2(repo!)) return ModelTokenizer.Bundled("gpt2")!;
        folder ??= await ModelLocator.ResolveConfigAsync(nameOrPath, hub ?? HubOptions.FromEnvironment(), progress, ct).ConfigureAwait(false);
        var (cfg, _) = Families.ModelFamilies.ReadConfig(Path.Combine(folder, ModelLoader.ConfigFile), Path.GetFileName(folder));
        return ModelLoader.TokenizerFor(cfg, folder) ?? throw new IclException(
            $"{folder}: this {cfg.ModelType} model has no tokenizer.json, so task files cannot be tokenized for it; " +
            "put the repository's tokenizer.json (and tokenizer_config.json) beside config.json.");
    }

    /// <summary>
    /// A model's architecture (config.json read as its family's adapter reads it) without loading or
    /// downloading its weights, so options that depend on it (a layer index) are checked first.
    /// </summary>
    public static async Task<ModelConfig> LoadConfigAsync(string nameOrPath, HubOptions? hub = null, IProgress<WorkProgress>? progress = null,
        CancellationToken ct = default)
    {
        var (folder, _) = ModelLocator.Check(nameOrPath);
        folder ??= await ModelLocator.ResolveConfigAsync(nameOrPath, hub ?? HubOptions.FromEnvironment(), progress, ct).ConfigureAwait(false);
        string configPath = Path.Combine(folder, ModelLoader.ConfigFile);
        string modelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        return Families.ModelFamilies.ReadConfig(configPath, modelName).Config;
    }

    /// <summary>"cpu" or "cuda" as a device; a clear error when CUDA is asked for but unavailable.</summary>
    public static Device ParseDevice(string name) => name switch
    {
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new IclException("Device cuda: CUDA is not available (this build uses TorchSharp-cpu, or no GPU is present). " +
            "Reference TorchSharp-cuda-linux/-windows instead of TorchSharp-cpu, or use cpu (--device cpu, ICL_DEVICE=cpu)."),
        _ => throw new IclException($"The device must be 'cpu' or 'cuda' (--device, ICL_DEVICE), got '{name}'."),
    };
}
