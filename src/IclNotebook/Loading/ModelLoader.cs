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
        // The model's own storage first, in its dtype; then one part of the checkpoint at a time (the embeddings, each
        // block, the final norm and unembedding) is read, converted to TL's layout, processed, copied in and freed: the
        // peak is about the model plus its largest part, not the checkpoint twice over.
        HookedTransformer? model = null;
        try
        {
            model = new HookedTransformer(cfg, processing, device, modelTokenizer);
            using var checkpoint = Checkpoint.Open(folder);
            var reader = new CheckpointReader(checkpoint, family);
            var tensors = new Families.CheckpointTensors(reader, family.DisplayName(cfg));
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            using (NewDisposeScope())
                VocabularyLoader.LoadEmbeddings(model, family.Embeddings(tensors, cfg), processing, reader.Source, loaded);
            for (int l = 0; l < cfg.NLayers; l++)
            {
                using var layerScope = NewDisposeScope();
                var layer = family.Layer(tensors, cfg, l);
                WeightProcessor.ApplyLayer(layer, cfg, processing, l);
                model.LoadWeights(layer, reader.Source, loaded);
            }
            using (NewDisposeScope())
                VocabularyLoader.LoadUnembedding(model, family.Unembedding(tensors, cfg, reader.Source), processing, reader.Source, loaded);
            tensors.CheckAllUsed();
            var missing = model.ExpectedWeights.Keys.Where(k => !loaded.Contains(k)).ToList();
            if (missing.Count > 0)
                throw new IclException($"{reader.Source}: weights missing for {string.Join(", ", missing.Take(5))}" +
                    $"{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}.");
        }
        catch
        {
            model?.Dispose();
            throw;
        }
        finally
        {
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
}
