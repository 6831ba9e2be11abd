using IclNotebook.Loading.Families;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Loading;

/// <summary>
/// Writes a GPT-2 <see cref="HookedTransformer"/> with raw weights as an ordinary Hugging Face
/// checkpoint: <c>config.json</c> and <c>model.safetensors</c> in the hub's <c>gpt2</c> layout, which
/// <see cref="ModelSource.LoadAsync"/>, <c>icl analyze --model FOLDER</c> and Hugging Face's
/// GPT2LMHeadModel all read. F32 by default; F16 halves the file.
/// </summary>
public static class Gpt2CheckpointWriter
{
    /// <summary>Writes the two files into <paramref name="folder"/> (which must exist); the weights file appears only when complete.</summary>
    public static void WriteFiles(HookedTransformer model, string folder, SafetensorsDType dtype = SafetensorsDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Config.ModelType != "gpt2" || model.Config.IsRotary)
            throw new IclException($"Only GPT-2 models can be written as a GPT-2 checkpoint; {model.Config.Name} is {model.Config.ModelType}.");
        if (model.Processing != WeightProcessing.Raw)
            throw new IclException($"{model.Config.Name} was loaded with {model.Processing} processing: " +
                "LayerNorm is folded into its weights, which GPT-2's format cannot hold. Load it with WeightProcessing.Raw to write it.");
        string torchDtype = dtype switch
        {
            SafetensorsDType.F32 => "float32",
            SafetensorsDType.F16 => "float16",
            SafetensorsDType.BF16 => "bfloat16",
            _ => throw new IclException($"A checkpoint is written as F32, F16 or BF16, not {dtype}."),
        };
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tl = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter.detach(), StringComparer.Ordinal);
        var hf = Gpt2Family.ToHuggingFace(tl, model.Config);
        var tensors = hf.Select(kv => (kv.Key, kv.Value.shape, (ReadOnlyMemory<float>)kv.Value.cpu().contiguous().data<float>().ToArray())).ToList();
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };
        SafetensorsWriter.Write(Path.Combine(folder, ModelLoader.WeightsFile), tensors, meta, dtype);
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), Gpt2Family.ConfigJson(model.Config, torchDtype));
    }
}
