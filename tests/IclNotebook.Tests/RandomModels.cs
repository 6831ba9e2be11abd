using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests;

/// <summary>Seeded random models of each family's shape (97-token vocabulary, 32 positions), raw weights, for property tests.</summary>
internal static class RandomModels
{
    public static HookedTransformer Create(int seed, int layers, int heads, string family = "gpt2")
    {
        var gpt2 = new ModelConfig($"random-{family}-{seed}", layers, 8 * heads, heads, 8, 32 * heads, 97, 32, 1e-5);
        var cfg = family switch
        {
            // Partial rotary (4 of 8 dimensions), parallel attention + MLP, exact gelu, LayerNorm.
            "neox" => gpt2 with { ModelType = "gpt_neox", Positional = PositionalEmbeddingType.Rotary, RotaryDim = 4, ParallelAttnMlp = true, ActFn = "gelu" },
            // Full rotary, RMSNorm, SwiGLU, grouped-query attention (two query heads per key/value head).
            "llama" => gpt2 with
            {
                ModelType = "llama", Normalization = NormalizationType.RMS, FinalRms = true, Positional = PositionalEmbeddingType.Rotary,
                RotaryDim = 8, RotaryBase = 1000, GatedMlp = true, ActFn = "silu", NKeyValueHeads = heads / 2,
            },
            // GPT-J: one LayerNorm for parallel attention and MLP (TL's ln2 is a copy), rotary on half of each head by adjacent pairs.
            "gptj" => gpt2 with
            {
                ModelType = "gptj", Positional = PositionalEmbeddingType.Rotary, RotaryDim = 4, RotaryAdjacentPairs = true, ParallelAttnMlp = true,
            },
            // Llama's shape with Qwen3's per-head query and key norms and an explicit head_dim (12, where d_model / heads is 8).
            "qwen3" => gpt2 with
            {
                ModelType = "qwen3", DHead = 12, Normalization = NormalizationType.RMS, FinalRms = true,
                Positional = PositionalEmbeddingType.Rotary, RotaryDim = 12, RotaryBase = 1000, GatedMlp = true, ActFn = "silu",
                NKeyValueHeads = heads / 2, QkNorm = true, DefaultPrependBos = false,
            },
            // Gemma 2: norms after attention and the MLP, the embedding scaled, scores scaled by sqrt(6) (not sqrt(d_head)) and
            // soft-capped, logits soft-capped (caps small enough to bite at these weights), a 5-token window on layer 0; untied so
            // the random state dict can hold its own W_U.
            "gemma2" => gpt2 with
            {
                ModelType = "gemma2", Normalization = NormalizationType.RMS, FinalRms = true, PostNorms = true,
                Positional = PositionalEmbeddingType.Rotary, RotaryDim = 8, GatedMlp = true, ActFn = "gelu_pytorch_tanh",
                NKeyValueHeads = heads / 2, EmbeddingScale = Math.Sqrt(8 * heads), QueryPreAttnScalar = 6, AttnScoresSoftCap = 4,
                OutputLogitsSoftCap = 6, SlidingWindow = 5, SlidingLayers = [.. Enumerable.Range(0, layers).Select(l => l % 2 == 0)],
            },
            // Llama with a 4-token window on every other layer and nothing else of Gemma's: the fused kernel's path with a window.
            "windowed" => gpt2 with
            {
                ModelType = "llama", Normalization = NormalizationType.RMS, FinalRms = true, Positional = PositionalEmbeddingType.Rotary,
                RotaryDim = 8, GatedMlp = true, ActFn = "silu", SlidingWindow = 4,
                SlidingLayers = [.. Enumerable.Range(0, layers).Select(l => l % 2 == 0)],
            },
            // OLMo-2: no norm before a sublayer, one after each, q/k norms over each token's whole projection.
            "olmo2" => gpt2 with
            {
                ModelType = "olmo2", Normalization = NormalizationType.RMS, FinalRms = true, PreNorms = false, PostNorms = true,
                Positional = PositionalEmbeddingType.Rotary, RotaryDim = 8, GatedMlp = true, ActFn = "silu", QkNorm = true,
                QkNormOverHeads = true, DefaultPrependBos = false,
            },
            _ => gpt2,
        };
        var model = new HookedTransformer(cfg, WeightProcessing.Raw);
        manual_seed(seed);
        using var scope = NewDisposeScope();
        var weights = model.ExpectedWeights.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith(".w", StringComparison.Ordinal) ? 1 + 0.2 * randn(kv.Value) : 0.5 * randn(kv.Value));
        model.LoadStateDict(weights, "random");
        return model;
    }
}
