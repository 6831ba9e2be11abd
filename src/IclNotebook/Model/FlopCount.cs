namespace IclNotebook.Model;

/// <summary>Floating-point operations of a forward pass (2 per multiply-add), for throughput figures.</summary>
public static class FlopCount
{
    /// <summary>
    /// <paramref name="layers"/> blocks on <paramref name="queryTokens"/> tokens that each attend
    /// to <paramref name="keyLength"/> keys: QKV, output, MLP matmuls (24 d² per token) and the
    /// attention products (4 d per token and key).
    /// </summary>
    public static double Blocks(ModelConfig cfg, double queryTokens, double keyLength, int layers)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        double d = cfg.DModel;
        double matmuls = 2.0 * (4.0 * d * d + 2.0 * d * cfg.DMlp);
        return layers * queryTokens * (matmuls + 4.0 * keyLength * d);
    }

    /// <summary>Unembedding <paramref name="rows"/> positions.</summary>
    public static double Unembed(ModelConfig cfg, double rows)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        return rows * 2.0 * cfg.DModel * cfg.DVocab;
    }
}
