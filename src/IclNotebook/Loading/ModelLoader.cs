using System.Runtime.InteropServices;
using IclNotebook.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// Builds a <see cref="HookedTransformer"/> from a folder holding a Hugging Face checkpoint of a
/// supported family (<see cref="Families.ModelFamilies"/>) (<c>config.json</c> + <c>model.safetensors</c>, or a sharded
/// <c>model.safetensors.index.json</c> with its shards; F32, F16 or BF16): read, convert to TL
/// layout, process (TL defaults unless <see cref="WeightProcessing.Raw"/>), load.
/// </summary>
public static class ModelLoader
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = Checkpoint.SingleFile;

    /// <param name="folder">Folder with config.json and model.safetensors.</param>
    /// <param name="processing">TL's default processing (default) or raw weights.</param>
    /// <param name="device">Device for the weights; CPU by default.</param>
    /// <param name="name">Name recorded in the config; the folder name by default.</param>
    /// <param name="tokenizer">
    /// The model's tokenizer if already read (<see cref="ModelSource.LoadTokenizerAsync"/>); read from the folder otherwise.
    /// </param>
    /// <param name="dtype">
    /// The weights' dtype (TL's <c>dtype</c>): float32 by default, whatever the checkpoint's; half precision is refused
    /// where the device's kernels for it are slow (<see cref="Runtime.DTypeSpeed"/>).
    /// </param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000",
        Justification = "The model is returned to the caller, or disposed in the catch when loading fails.")]
    public static HookedTransformer LoadFolder(string folder, WeightProcessing processing = WeightProcessing.Default, Device? device = null,
        string? name = null, Tokenization.ModelTokenizer? tokenizer = null, ModelDType dtype = ModelDType.Float32)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        Runtime.DTypeSpeed.Check(dtype, device ?? CPU);
        if (!Directory.Exists(folder)) throw new IclException($"Model folder '{folder}' does not exist.");
        string configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath))
            throw new IclException($"Model folder '{folder}' has no {ConfigFile}; " +
                $"a model folder needs {ConfigFile} and {WeightsFile} (the Hugging Face layout).");
        if (!Checkpoint.Exists(folder))
            throw new IclException($"Model folder '{folder}' has no {WeightsFile} (nor a sharded {Checkpoint.IndexFile}); " +
                "only safetensors checkpoints are supported (pytorch_model.bin is not), convert it or download the safetensors file.");

        string modelName = name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var (read, family) = Families.ModelFamilies.ReadConfig(configPath, modelName);
        var cfg = read with { DType = dtype };
        var modelTokenizer = tokenizer ?? TokenizerFor(cfg, folder);
        Dictionary<string, Tensor> weights;
        string source;
        using (NewDisposeScope()) // frees the checkpoint and intermediate tensors
        {
            (var hf, source) = ReadCheckpoint(folder, family);
            var tl = family.ToTransformerLens(hf, cfg, source);
            // Free checkpoint handles tl does not hold itself (views in tl keep their storage alive).
            foreach (var t in hf.Values.Where(h => !tl.Values.Any(v => ReferenceEquals(v, h)))) t.Dispose();
            weights = WeightProcessor.Apply(tl, cfg, processing);
            foreach (var w in weights.Values) w.DetachFromDisposeScope();
        }
        // The model's own weights are allocated only now, once the checkpoint and its conversion are
        // freed (and outside the scope, which would dispose the model's buffers): the peak is about
        // twice the weights in float32 rather than four times.
        HookedTransformer? model = null;
        try
        {
            model = new HookedTransformer(cfg, processing, device, modelTokenizer);
            model.LoadStateDict(weights, source);
        }
        catch
        {
            model?.Dispose();
            throw;
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
            GC.Collect(); // finalizes tensor handles that escaped disposal before trimming
            Runtime.NativeHeap.Trim();
        }
        return model;
    }

    /// <summary>
    /// A model's tokenizer: GPT-2's built-in one for GPT-2 models (the hub's GPT-2 folders are read
    /// without their tokenizer files), else the folder's tokenizer.json; null when a folder has none
    /// (the model then runs on token ids, and asking for its tokenizer says why there is none).
    /// </summary>
    internal static Tokenization.ModelTokenizer? TokenizerFor(ModelConfig cfg, string folder) =>
        Tokenization.ModelTokenizer.Bundled(cfg.ModelType)
        ?? (File.Exists(Path.Combine(folder, "tokenizer.json")) ? Tokenization.HuggingFace.HfTokenizer.Load(folder, cfg.DefaultPrependBos)
        : null);

    /// <summary>
    /// Every tensor of the checkpoint as float32 on the CPU, by normalised key (buffers skipped), and the checkpoint's
    /// description for messages.
    /// </summary>
    private static (Dictionary<string, Tensor> Tensors, string Source) ReadCheckpoint(string folder, Families.ModelFamily family)
    {
        using var checkpoint = Checkpoint.Open(folder);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, file) in checkpoint.Tensors)
        {
            if (family.IsIgnoredBuffer(name)) continue;
            string key = family.NormalizeKey(name);
            if (result.ContainsKey(key))
                throw new IclException($"{checkpoint.Description}: tensor '{key}' is stored twice (with and without its model-class prefix).");
            var entry = file.Entry(name);
            if (!entry.DType.IsReadable())
                throw new IclException($"{file.Path}: tensor '{name}' is stored as {entry.DType.HeaderName()} " +
                    $"and is no {family.ModelTypes[0]} weight or buffer; " +
                    $"this checkpoint does not look like the model_type its config.json names ({string.Join("/", family.ModelTypes)}).");
            var t = empty(entry.Shape.ToArray(), dtype: float32);
            file.ReadFloat32(name, MemoryMarshal.Cast<byte, float>(t.bytes)); // straight into the tensor's memory
            result[key] = t;
        }
        return (result, checkpoint.Description);
    }
}
