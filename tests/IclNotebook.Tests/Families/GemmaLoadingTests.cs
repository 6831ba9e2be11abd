using System.Text.Json.Nodes;
using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests.Families;

/// <summary>
/// What Gemma 3 checkpoints hold beyond tiny-gemma3-a, which TL 2.18 cannot load (so no golden): a multimodal checkpoint's
/// text tower, and a linear rope scaling that Hugging Face applies to the global layers only, written in either
/// transformers' config format. Each is checked against tiny-gemma3-a, which is checked against TransformerLens.
/// </summary>
[Trait(Lane.Name, Lane.Full)]
public sealed class GemmaLoadingTests : IDisposable
{
    private readonly TempFolder _dir = new("icl-gemma");

    public void Dispose() => _dir.Dispose();

    private static string Source => FamilyFixture.Folder("tiny-gemma3-a");

    /// <summary>tiny-gemma3-a's tensors renamed by <paramref name="rename"/> plus <paramref name="extra"/>, under a config edited by <paramref name="config"/>.</summary>
    private string Write(string name, Func<JsonObject, JsonNode> config, Func<string, string> rename, params (string Name, long[] Shape)[] extra)
    {
        var folder = _dir[name];
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Source, file), Path.Combine(folder, file));
        var text = JsonNode.Parse(File.ReadAllText(Path.Combine(Source, ModelLoader.ConfigFile)))!.AsObject();
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), config(text).ToJsonString());
        var tensors = new List<(string, long[], ReadOnlyMemory<float>)>();
        using (var file = SafetensorsFile.Open(Path.Combine(Source, ModelLoader.WeightsFile)))
            foreach (var (tensor, entry) in file.Tensors)
                tensors.Add((rename(tensor), entry.Shape.ToArray(), file.ReadFloat32(tensor)));
        tensors.AddRange(extra.Select(e => (e.Name, e.Shape, (ReadOnlyMemory<float>)new float[e.Shape.Aggregate(1L, (a, b) => a * b)])));
        SafetensorsWriter.Write(Path.Combine(folder, ModelLoader.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" },
            SafetensorsDType.BF16);
        return folder;
    }

    private static (Tensor Logits, Tensor RotK0, Tensor RotK1) Run(string folder)
    {
        using var model = ModelLoader.LoadFolder(folder, WeightProcessing.Raw);
        using var tokens = FamilyFixture.Tokens("tiny-gemma3-a", "clean").ToTensor();
        var (logits, cache) = model.RunWithCache(tokens);
        using (cache)
            return (logits, cache["blocks.0.attn.hook_rot_k"].clone(), cache["blocks.1.attn.hook_rot_k"].clone());
    }

    [Theory]
    [InlineData("language_model.model.")]      // transformers before 4.52
    [InlineData("model.language_model.")]      // from 4.52 on
    public void A_multimodal_checkpoint_loads_its_text_tower(string towerPrefix)
    {
        string outer = towerPrefix.StartsWith("model.", StringComparison.Ordinal) ? "model." : "";   // the vision tower's prefix alike
        var folder = Write("multimodal", text => new JsonObject
        {
            ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"), ["model_type"] = "gemma3",
            ["text_config"] = text, ["vision_config"] = new JsonObject { ["model_type"] = "siglip_vision_model" },
        }, name => towerPrefix + name["model.".Length..],
            (outer + "vision_tower.vision_model.post_layernorm.weight", [8]), (outer + "multi_modal_projector.mm_input_projection_weight", [8, 64]));
        var (logits, _, _) = Run(folder);
        var (expected, _, _) = Run(Source);
        TensorAssert.Close(expected, logits, 0, "text tower's logits");
        using var model = ModelLoader.LoadFolder(folder, WeightProcessing.Raw);
        Assert.Equal("gemma3", model.Config.ModelType);
    }

    [Fact]
    public void Linear_rope_scaling_applies_to_the_global_layers_only_in_either_config_format()
    {
        var (_, local, global) = Run(Source);
        var (_, scaledLocal, scaledGlobal) = Run(Write("scaling-4", c =>
        {
            c["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0 };
            return c;
        }, name => name));
        TensorAssert.Close(local, scaledLocal, 0, "layer 0 (sliding) keys, rotated by the unscaled local base");
        Assert.True((global - scaledGlobal).abs().max().item<float>() > 1e-2, "layer 1 (global) keys rotate by the scaled frequencies");

        var (_, v5Local, v5Global) = Run(Write("scaling-5", c =>
        {
            c.Remove("rope_scaling");
            c.Remove("rope_theta");
            c.Remove("rope_local_base_freq");
            c["rope_parameters"] = new JsonObject
            {
                ["full_attention"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0, ["rope_theta"] = 1_000_000.0 },
                ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10_000.0 },
            };
            return c;
        }, name => name));
        TensorAssert.Close(scaledLocal, v5Local, 0, "transformers 5's rope_parameters, local layer");
        TensorAssert.Close(scaledGlobal, v5Global, 0, "transformers 5's rope_parameters, global layer");
    }
}
