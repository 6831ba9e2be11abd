namespace IclNotebook.Model;

/// <summary>Floating-point operations of a forward pass (2 per multiply-add), for throughput figures.</summary>
public static class FlopCount
{
    /// <summary>
    /// <paramref name="layers"/> blocks on <paramref name="queryTokens"/> tokens that each attend
    /// to <paramref name="keyLength"/> keys: the Q and O projections (2 d x heads d_head), K and V
    /// (kv_heads d_head each), the MLP (2 d d_mlp, 3 with a gate) and the attention products
    /// (2 x heads d_head per token and key), at 2 FLOPs per multiply-add.
    /// </summary>
    public static double Blocks(ModelConfig cfg, double queryTokens, double keyLength, int layers)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        double d = cfg.DModel, qWidth = (double)cfg.NHeads * cfg.DHead, kvWidth = (double)cfg.NKv * cfg.DHead;
        double matmuls = 2.0 * (2.0 * d * qWidth + 2.0 * d * kvWidth + (cfg.GatedMlp ? 3.0 : 2.0) * d * cfg.DMlp);
        return layers * queryTokens * (matmuls + 4.0 * keyLength * qWidth);
    }

    /// <summary>
    /// One block that computes keys and values for <paramref name="segmentTokens"/> tokens but queries,
    /// attention output and MLP only for <paramref name="outputs"/> of them, attending to
    /// <paramref name="keyLength"/> keys (the last block of a patched run, read at the metric's positions).
    /// </summary>
    public static double BlockAtFewPositions(ModelConfig cfg, double segmentTokens, double outputs, double keyLength)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        double d = cfg.DModel, qWidth = (double)cfg.NHeads * cfg.DHead, kvWidth = (double)cfg.NKv * cfg.DHead;
        double keysValues = 2.0 * 2.0 * d * kvWidth;
        double rest = 2.0 * (2.0 * d * qWidth + (cfg.GatedMlp ? 3.0 : 2.0) * d * cfg.DMlp) + 4.0 * keyLength * qWidth;
        return segmentTokens * keysValues + outputs * rest;
    }

    /// <summary>Unembedding <paramref name="rows"/> positions.</summary>
    public static double Unembed(ModelConfig cfg, double rows)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        return rows * 2.0 * cfg.DModel * cfg.DVocab;
    }
}
