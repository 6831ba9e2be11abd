namespace IclNotebook.Model;

/// <summary>
/// TransformerLens state-dict keys (the model's parameter names), built in one place as
/// <see cref="Hooks.HookName"/> builds its hook names: <c>StateDictKey.WQ(3)</c> is
/// <c>blocks.3.attn.W_Q</c>. Shapes are as TL stores them, one layer's (a stacked weight from
/// <see cref="HookedTransformer.Weights"/> adds a leading layer axis). A family's converter, the weight
/// processing and the weight accessors all name a tensor here, so a new key (another family's extra
/// norm, say) is added once. Norm keys exist only where the model has them: LayerNorm has <c>w</c> and
/// <c>b</c>, RMSNorm <c>w</c> alone, and processed weights fold both away.
/// </summary>
public static class StateDictKey
{
    /// <summary><c>embed.W_E</c>, the token embedding [d_vocab, d_model].</summary>
    public const string WE = "embed.W_E";

    /// <summary><c>pos_embed.W_pos</c>, the learned positional embedding [n_ctx, d_model] (rotary models have none).</summary>
    public const string WPos = "pos_embed.W_pos";

    /// <summary><c>unembed.W_U</c>, the unembedding [d_model, d_vocab].</summary>
    public const string WU = "unembed.W_U";

    /// <summary><c>unembed.b_U</c>, the unembedding bias [d_vocab].</summary>
    public const string BU = "unembed.b_U";

    /// <summary><c>ln_final.w</c>, the final norm's weight [d_model].</summary>
    public const string LnFinalW = "ln_final.w";

    /// <summary><c>ln_final.b</c>, the final LayerNorm's bias [d_model].</summary>
    public const string LnFinalB = "ln_final.b";

    /// <summary>
    /// <c>blocks.{layer}.{name}</c>, for a block's weight with no method of its own:
    /// <c>Block(0, "attn.W_O")</c> is <c>blocks.0.attn.W_O</c> (the same key as <see cref="WO"/>).
    /// </summary>
    public static string Block(int layer, string name) => $"blocks.{layer}.{name}";

    /// <summary><c>blocks.{layer}.ln1.w</c>, the norm before attention's weight [d_model].</summary>
    public static string Ln1W(int layer) => Block(layer, "ln1.w");

    /// <summary><c>blocks.{layer}.ln1.b</c>, the LayerNorm before attention's bias [d_model].</summary>
    public static string Ln1B(int layer) => Block(layer, "ln1.b");

    /// <summary><c>blocks.{layer}.ln2.w</c>, the norm before the MLP's weight [d_model].</summary>
    public static string Ln2W(int layer) => Block(layer, "ln2.w");

    /// <summary><c>blocks.{layer}.ln2.b</c>, the LayerNorm before the MLP's bias [d_model].</summary>
    public static string Ln2B(int layer) => Block(layer, "ln2.b");

    /// <summary><c>blocks.{layer}.ln1_post.w</c>, the norm after attention's weight [d_model] (<see cref="ModelConfig.PostNorms"/>).</summary>
    public static string Ln1PostW(int layer) => Block(layer, "ln1_post.w");

    /// <summary><c>blocks.{layer}.ln2_post.w</c>, the norm after the MLP's weight [d_model] (<see cref="ModelConfig.PostNorms"/>).</summary>
    public static string Ln2PostW(int layer) => Block(layer, "ln2_post.w");

    /// <summary><c>blocks.{layer}.attn.W_Q</c>, the query weight [n_heads, d_model, d_head].</summary>
    public static string WQ(int layer) => Block(layer, "attn.W_Q");

    /// <summary><c>blocks.{layer}.attn.b_Q</c>, the query bias [n_heads, d_head].</summary>
    public static string BQ(int layer) => Block(layer, "attn.b_Q");

    /// <summary><c>blocks.{layer}.attn.W_K</c>, the key weight of attention without grouping [n_heads, d_model, d_head].</summary>
    public static string WK(int layer) => Block(layer, "attn.W_K");

    /// <summary><c>blocks.{layer}.attn.b_K</c>, the key bias of attention without grouping [n_heads, d_head].</summary>
    public static string BK(int layer) => Block(layer, "attn.b_K");

    /// <summary><c>blocks.{layer}.attn.W_V</c>, the value weight of attention without grouping [n_heads, d_model, d_head].</summary>
    public static string WV(int layer) => Block(layer, "attn.W_V");

    /// <summary><c>blocks.{layer}.attn.b_V</c>, the value bias of attention without grouping [n_heads, d_head].</summary>
    public static string BV(int layer) => Block(layer, "attn.b_V");

    /// <summary>
    /// The key weight [n_key_value_heads, d_model, d_head] of <paramref name="cfg"/>'s attention: <see cref="WK(int)"/>, or
    /// with grouped-query attention TL's <c>blocks.{layer}.attn._W_K</c> (<see cref="ModelConfig.KvPrefix"/>).
    /// </summary>
    public static string WK(int layer, ModelConfig cfg) => Kv(layer, cfg, "W_K");

    /// <summary>The key bias [n_key_value_heads, d_head]: <see cref="BK(int)"/>, or grouped <c>blocks.{layer}.attn._b_K</c>.</summary>
    public static string BK(int layer, ModelConfig cfg) => Kv(layer, cfg, "b_K");

    /// <summary>
    /// The value weight [n_key_value_heads, d_model, d_head] of <paramref name="cfg"/>'s attention: <see cref="WV(int)"/>, or
    /// with grouped-query attention TL's <c>blocks.{layer}.attn._W_V</c>.
    /// </summary>
    public static string WV(int layer, ModelConfig cfg) => Kv(layer, cfg, "W_V");

    /// <summary>The value bias [n_key_value_heads, d_head]: <see cref="BV(int)"/>, or grouped <c>blocks.{layer}.attn._b_V</c>.</summary>
    public static string BV(int layer, ModelConfig cfg) => Kv(layer, cfg, "b_V");

    /// <summary>The query, key and value (weight, bias) keys of one layer, in that order, for attention without grouping.</summary>
    public static (string Weight, string Bias)[] Qkv(int layer) => [(WQ(layer), BQ(layer)), (WK(layer), BK(layer)), (WV(layer), BV(layer))];

    /// <summary>The query, key and value (weight, bias) keys of one layer of <paramref name="cfg"/>'s attention (grouped or not).</summary>
    public static (string Weight, string Bias)[] Qkv(int layer, ModelConfig cfg) =>
        [(WQ(layer), BQ(layer)), (WK(layer, cfg), BK(layer, cfg)), (WV(layer, cfg), BV(layer, cfg))];

    /// <summary><c>blocks.{layer}.attn.q_norm.w</c>, the per-head query norm's weight [d_head] (<see cref="ModelConfig.QkNorm"/>).</summary>
    public static string QNormW(int layer) => Block(layer, "attn.q_norm.w");

    /// <summary><c>blocks.{layer}.attn.k_norm.w</c>, the per-head key norm's weight [d_head] (<see cref="ModelConfig.QkNorm"/>).</summary>
    public static string KNormW(int layer) => Block(layer, "attn.k_norm.w");

    /// <summary><c>blocks.{layer}.attn.W_O</c>, the output weight [n_heads, d_head, d_model].</summary>
    public static string WO(int layer) => Block(layer, "attn.W_O");

    /// <summary><c>blocks.{layer}.attn.b_O</c>, the attention output bias [d_model].</summary>
    public static string BO(int layer) => Block(layer, "attn.b_O");

    /// <summary><c>blocks.{layer}.mlp.W_in</c>, the MLP input weight [d_model, d_mlp] (a gated MLP's linear, ungated input).</summary>
    public static string WIn(int layer) => Block(layer, "mlp.W_in");

    /// <summary><c>blocks.{layer}.mlp.b_in</c>, the MLP input bias [d_mlp].</summary>
    public static string BIn(int layer) => Block(layer, "mlp.b_in");

    /// <summary><c>blocks.{layer}.mlp.W_gate</c>, a gated MLP's gate weight [d_model, d_mlp].</summary>
    public static string WGate(int layer) => Block(layer, "mlp.W_gate");

    /// <summary><c>blocks.{layer}.mlp.W_out</c>, the MLP output weight [d_mlp, d_model].</summary>
    public static string WOut(int layer) => Block(layer, "mlp.W_out");

    /// <summary><c>blocks.{layer}.mlp.b_out</c>, the MLP output bias [d_model].</summary>
    public static string BOut(int layer) => Block(layer, "mlp.b_out");

    private static string Kv(int layer, ModelConfig cfg, string name)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        return Block(layer, $"attn.{cfg.KvPrefix}{name}");
    }
}
