using System.Globalization;
using IclNotebook.Loading;
using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Cli.Bench;

/// <summary>
/// A GPT-2-small-shaped checkpoint with seeded random weights, written in the exact on-disk format
/// of Hugging Face's gpt2 repository, for benchmarks (real weights are not needed to time them).
/// </summary>
public static class RandomGpt2
{
    public static ModelConfig SmallConfig { get; } = new("gpt2-small-random", 12, 768, 12, 64, 3072, 50257, 1024, 1e-5);

    /// <summary>Writes config.json + model.safetensors into <paramref name="folder"/>; returns the file size in bytes.</summary>
    public static long WriteCheckpoint(string folder, ModelConfig cfg, int seed)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ModelLoader.ConfigFile), string.Create(CultureInfo.InvariantCulture,
            $$"""{"model_type":"gpt2","architectures":["GPT2LMHeadModel"],"activation_function":"gelu_new","n_layer":{{cfg.NLayers}},"n_embd":{{cfg.DModel}},"n_head":{{cfg.NHeads}},"n_positions":{{cfg.NCtx}},"vocab_size":{{cfg.DVocab}},"layer_norm_epsilon":{{cfg.Eps}}}"""));
        manual_seed(seed);
        int d = cfg.DModel, m = cfg.DMlp;
        var shapes = new List<(string, long[])> { ("wte.weight", [cfg.DVocab, d]), ("wpe.weight", [cfg.NCtx, d]) };
        for (int l = 0; l < cfg.NLayers; l++)
        {
            string p = $"h.{l}.";
            shapes.AddRange([(p + "ln_1.weight", [d]), (p + "ln_1.bias", [d]), (p + "attn.c_attn.weight", [d, 3 * d]), (p + "attn.c_attn.bias", [3 * d]),
                (p + "attn.c_proj.weight", [d, d]), (p + "attn.c_proj.bias", [d]), (p + "ln_2.weight", [d]), (p + "ln_2.bias", [d]),
                (p + "mlp.c_fc.weight", [d, m]), (p + "mlp.c_fc.bias", [m]), (p + "mlp.c_proj.weight", [m, d]), (p + "mlp.c_proj.bias", [d])]);
        }
        shapes.AddRange([("ln_f.weight", [d]), ("ln_f.bias", [d])]);
        // Each tensor is generated when the writer reaches it: one tensor in memory at a time.
        var tensors = shapes.Select(s => (s.Item1, s.Item2, (Func<ReadOnlyMemory<float>>)(() =>
        {
            using var scope = NewDisposeScope();
            var t = s.Item1.EndsWith("ln_1.weight", StringComparison.Ordinal) || s.Item1.EndsWith("ln_2.weight", StringComparison.Ordinal) || s.Item1 == "ln_f.weight"
                ? 1 + 0.1 * randn(s.Item2) : 0.02 * randn(s.Item2);
            return t.data<float>().ToArray();
        }))).ToList();
        var path = Path.Combine(folder, ModelLoader.WeightsFile);
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return new FileInfo(path).Length;
    }
}
