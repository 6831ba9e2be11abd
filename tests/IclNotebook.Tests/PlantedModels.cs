using IclNotebook.Model;
using static TorchSharp.torch;

namespace IclNotebook.Tests;

/// <summary>
/// A two-layer GPT-2-shaped model whose weights are set by hand so that three heads do exactly one
/// known job (raw weights, LayerNorm w = 1, b = 0, MLPs zero, the other heads zero):
/// <list type="bullet">
/// <item>L0H0, a previous-token head: queries and keys read one-hot positions, the key shifted by one,
/// so position i attends to i − 1; it copies that token's identity into a "previous token" block.</item>
/// <item>L0H1, a duplicate-token head: attends to earlier positions holding the same token, not to itself (no output).</item>
/// <item>L1H0, an induction head: its query reads the current token, its key the previous-token block,
/// so it attends to the position after an earlier copy of the current token, and copies that
/// position's token to the logits (K-composition with L0H0).</item>
/// </list>
/// Gains are set so that, after LayerNorm (entries of about 8 at layer 0) and the 1/sqrt(d_head) = 1/8
/// score scale, each planted match scores 8 to 18 above its competitors.
/// Residual layout: tokens one-hot in [0, V), positions one-hot in [V, V + C), the previous-token block in [V + C, 2V + C).
/// </summary>
internal static class PlantedModels
{
    public const int Vocab = 24, Context = 32, Layers = 2, Heads = 4;
    private const int DModel = 128, DHead = 64;
    private const int Pos = Vocab, Prev = Vocab + Context;

    public static HookedTransformer Create()
    {
        var cfg = new ModelConfig("planted-induction", Layers, DModel, Heads, DHead, 4 * DModel, Vocab, Context, 1e-5);
        var model = new HookedTransformer(cfg, WeightProcessing.Raw);
        var w = model.ExpectedWeights.ToDictionary(kv => kv.Key, kv => new float[kv.Value.Aggregate(1L, (a, b) => a * b)]);
        foreach (var (name, values) in w)
            if (name.EndsWith(".w", StringComparison.Ordinal)) Array.Fill(values, 1f);

        // [d_model, d_head] slice of W_Q/W_K/W_V [head, d_model, d_head]; [d_head, d_model] of W_O.
        void In(string name, int head, int row, int col, float value) => w[name][(head * DModel + row) * DHead + col] = value;
        void Out(string name, int head, int row, int col, float value) => w[name][(head * DHead + row) * DModel + col] = value;

        for (int t = 0; t < Vocab; t++)
        {
            w[StateDictKey.WE][t * DModel + t] = 1f;
            w[StateDictKey.WU][t * Vocab + t] = 1f;                               // token block -> its logit
        }
        for (int p = 0; p < Context; p++) w[StateDictKey.WPos][p * DModel + Pos + p] = 1f;

        // L0H0: previous token. q_i = e_i, k_j = e_{j+1}: i attends to j = i - 1. OV: token t -> previous-token block.
        for (int p = 0; p < Context; p++)
        {
            In(StateDictKey.WQ(0), 0, Pos + p, p, 1f);
            if (p + 1 < Context) In(StateDictKey.WK(0), 0, Pos + p, p + 1, 1f);
        }
        for (int t = 0; t < Vocab; t++)
        {
            In(StateDictKey.WV(0), 0, t, t, 1f);
            Out(StateDictKey.WO(0), 0, t, Prev + t, 1f);
        }
        // L0H1: duplicate token. q_i = e_tok(i) - e_pos(i), k_j = e_tok(j) + e_pos(j): earlier copies score, itself does not.
        for (int t = 0; t < Vocab; t++) { In(StateDictKey.WQ(0), 1, t, t, 1.5f); In(StateDictKey.WK(0), 1, t, t, 1.5f); }
        for (int p = 0; p < Context; p++)
        {
            In(StateDictKey.WQ(0), 1, Pos + p, Vocab + p, -1.5f);
            In(StateDictKey.WK(0), 1, Pos + p, Vocab + p, 1.5f);
        }
        // L1H0: induction. q_i = e_tok(i), k_j = previous-token block of j. OV: token -> token block (its logit).
        for (int t = 0; t < Vocab; t++)
        {
            In(StateDictKey.WQ(1), 0, t, t, 4f);
            In(StateDictKey.WK(1), 0, Prev + t, t, 2f);
            In(StateDictKey.WV(1), 0, t, t, 1f);
            Out(StateDictKey.WO(1), 0, t, t, 6f);                                 // the copied token outweighs the current one
        }
        using var scope = NewDisposeScope();
        model.LoadStateDict(w.ToDictionary(kv => kv.Key, kv => tensor(kv.Value, model.ExpectedWeights[kv.Key])), "planted");
        return model;
    }
}
