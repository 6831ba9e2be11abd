using IclNotebook.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclNotebook.Toy;

// The trainer's weights: initialisation, the tied embedding, and the small-vocabulary copy's rows gathered and scattered back.
public static partial class ToyTrainer
{
    /// <summary>
    /// The initial weights (see <see cref="InitialStd"/>; norms 1, biases 0, W_pos sinusoidal) from a seeded
    /// generator, unembedding tied.
    /// </summary>
    internal static void Initialise(HookedTransformer model, ulong seed)
    {
        var cfg = model.Config;
        using var generator = new Generator(seed);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;   // tied to W_E below
            if (name.EndsWith(".w", StringComparison.Ordinal)) p.fill_(1.0);           // norm weights
            else if (IsBias(name)) p.zero_();
            else if (name == StateDictKey.WPos) p.copy_(Sinusoids(p.shape[0], p.shape[1]).mul_(InitialStd(name, cfg)));
            else
            {
                double std = InitialStd(name, cfg);
                using var sample = randn(p.shape, generator: generator);
                p.copy_(sample.mul_(std));
            }
        }
        TieUnembedding(model);
    }

    /// <summary>The full model's weights into the training model: its embedding rows <paramref name="rows"/>, everything else as is.</summary>
    internal static void Gather(HookedTransformer full, HookedTransformer local, Tensor rows)
    {
        using var noGrad = no_grad();
        var source = full.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in local.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;
            if (name == StateDictKey.WE) { using var picked = source[name].index_select(0, rows); p.copy_(picked); }
            else p.copy_(source[name]);
        }
        TieUnembedding(local);
    }

    /// <summary>The training model's weights back into the full model (embedding rows <paramref name="rows"/>), unembedding tied.</summary>
    internal static void Scatter(HookedTransformer local, HookedTransformer full, Tensor rows)
    {
        using var noGrad = no_grad();
        var target = full.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in local.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;
            if (name == StateDictKey.WE) target[name].index_copy_(0, rows, p);
            else target[name].copy_(p);
        }
        TieUnembedding(full);
    }

    /// <summary>The parameters AdamW trains (all but the unembedding, which is W_E^T in the loss), with grad on.</summary>
    internal static List<(string Name, Parameter Parameter)> Trained(HookedTransformer local)
    {
        var trained = new List<(string, Parameter)>();
        foreach (var (name, p) in local.named_parameters())
        {
            if (name.StartsWith("unembed.", StringComparison.Ordinal)) continue;
            p.requires_grad_(true);
            trained.Add((name, p));
        }
        return trained;
    }

    /// <summary>
    /// The sinusoidal position table (Vaswani et al. 2017) with unit standard deviation (scaled like
    /// the token embedding by the caller): W_pos is still learned, but starts with a shift structure (the table at p + 1 is a
    /// fixed rotation of the table at p), so a head can learn "attend to the previous token" with a
    /// linear map instead of discovering positions first.
    /// </summary>
    private static Tensor Sinusoids(long positions, long width)
    {
        var table = new float[positions * width];
        for (long p = 0; p < positions; p++)
            for (long i = 0; i < width; i++)
            {
                double angle = p / Math.Pow(10000, 2.0 * (i / 2) / width);
                table[p * width + i] = (float)(Math.Sqrt(2) * (i % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle)));
            }
        return tensor(table, [positions, width]);
    }

    /// <summary>
    /// Every matrix 1 / sqrt(fan-in) (embeddings: 1 / sqrt(d_model)), output projections divided by
    /// sqrt(2 layers) as GPT-2 does. GPT-2's flat 0.02 is about 1 / sqrt(768): at d_model 64 it made
    /// attention scores ~0.1 (every pattern uniform) and, with embeddings at 0.02, the blocks' outputs
    /// drowned each token's identity; recall was not learned even with two demonstrations.
    /// </summary>
    private static double InitialStd(string name, ModelConfig cfg)
    {
        double output = 1 / Math.Sqrt(2.0 * cfg.NLayers);
        if (name.EndsWith("W_O", StringComparison.Ordinal)) return output / Math.Sqrt(cfg.DModel);
        if (name.EndsWith("W_out", StringComparison.Ordinal)) return output / Math.Sqrt(cfg.DMlp);
        return 1 / Math.Sqrt(cfg.DModel);
    }

    private static bool IsBias(string name)
    {
        var last = name[(name.LastIndexOf('.') + 1)..];
        return last == "b" || last.StartsWith("b_", StringComparison.Ordinal);
    }

    /// <summary>AdamW decays the matrices (attention, MLP, embeddings), not biases or norm weights.</summary>
    internal static bool Decays(string name) => !IsBias(name) && !name.EndsWith(".w", StringComparison.Ordinal);

    internal static TorchSharp.Modules.Parameter Embedding(HookedTransformer model) =>
        model.named_parameters().First(p => p.name == StateDictKey.WE).parameter;

    /// <summary>Copies W_E^T into the model's unembedding (b_U stays zero), so the model's own forward is the trained, tied model.</summary>
    private static void TieUnembedding(HookedTransformer model)
    {
        using var noGrad = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        parameters[StateDictKey.WU].copy_(parameters[StateDictKey.WE].t());
        parameters[StateDictKey.BU].zero_();
    }
}
