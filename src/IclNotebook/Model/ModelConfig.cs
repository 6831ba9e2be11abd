namespace IclNotebook.Model;

/// <summary>
/// The normalisation a family uses (TL's <c>normalization_type</c>; processed weights fold it into the next weights,
/// giving LNPre / RMSPre).
/// </summary>
public enum NormalizationType
{
    /// <summary>LayerNorm: centre, divide by the RMS, scale and shift (GPT-2, GPT-NeoX).</summary>
    LN,

    /// <summary>RMSNorm: divide by the RMS, scale (Llama, Mistral, Qwen2).</summary>
    RMS,
}

/// <summary>How positions enter the model (TL's <c>positional_embedding_type</c>).</summary>
public enum PositionalEmbeddingType
{
    /// <summary>A learned table added to the token embedding (GPT-2).</summary>
    Standard,

    /// <summary>Rotary embeddings on queries and keys (GPT-NeoX, Llama, Qwen2).</summary>
    Rotary,
}

/// <summary>
/// Architecture hyper-parameters in TransformerLens's vocabulary: the sizes, and which components
/// the one <see cref="HookedTransformer"/> is built from. The defaults are GPT-2's; the loading
/// adapter of each Hugging Face <c>model_type</c> sets the rest.
/// </summary>
/// <param name="Name">Model name or folder it was loaded from.</param>
/// <param name="NLayers">Transformer blocks.</param>
/// <param name="DModel">Residual stream width.</param>
/// <param name="NHeads">Attention (query) heads per layer.</param>
/// <param name="DHead">Width of one head.</param>
/// <param name="DMlp">MLP hidden width.</param>
/// <param name="DVocab">Vocabulary size.</param>
/// <param name="NCtx">Maximum context length.</param>
/// <param name="Eps">Normalisation epsilon.</param>
public sealed record ModelConfig(
    string Name, int NLayers, int DModel, int NHeads, int DHead, int DMlp, int DVocab, int NCtx, double Eps)
{
    /// <summary>
    /// The dtype of the weights and the matrix products (TL's <c>cfg.dtype</c>). Default float32, the precision the
    /// TransformerLens goldens are checked at; <see cref="Precision"/> says what stays float32 in a half-precision model.
    /// </summary>
    public ModelDType DType { get; init; } = ModelDType.Float32;

    /// <summary>The Hugging Face <c>model_type</c> it was read from. Default "gpt2".</summary>
    public string ModelType { get; init; } = "gpt2";

    /// <summary>TL's <c>normalization_type</c> of the raw model. Default LN.</summary>
    public NormalizationType Normalization { get; init; } = NormalizationType.LN;

    /// <summary>TL's <c>positional_embedding_type</c>. Default Standard (a learned table).</summary>
    public PositionalEmbeddingType Positional { get; init; } = PositionalEmbeddingType.Standard;

    /// <summary>Dimensions of each head rotated by rotary embeddings (the first ones). Default 0; DHead for full rotary.</summary>
    public int RotaryDim { get; init; }

    /// <summary>Rotary base (TL's <c>rotary_base</c>). Default 10000.</summary>
    public double RotaryBase { get; init; } = 10000;

    /// <summary>How the rotary frequencies are scaled (Llama 3's NTK-by-parts, linear); null for none.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>
    /// The rotary base of the sliding-window layers, which rotate unscaled (Gemma 3's <c>rope_local_base_freq</c>, TL's
    /// <c>rotary_base_local</c>); null where every layer rotates by <see cref="RotaryBase"/> and <see cref="RopeScaling"/>.
    /// </summary>
    public double? LocalRotaryBase { get; init; }

    /// <summary>
    /// Each query and key head is RMS-normalised over d_head after its projection and before the rotation (TL's
    /// <c>use_qk_norm</c>: Qwen3, Gemma 3, OLMo-2's per-head variant), with weights <c>attn.q_norm.w</c>, <c>attn.k_norm.w</c>
    /// [d_head] that weight processing never folds. Default false.
    /// </summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// The query and key norms run over each token's whole projection (<c>[n_heads * d_head]</c>, <c>[n_kv_heads * d_head]</c>)
    /// instead of each head (OLMo-2's <c>q_norm</c>/<c>k_norm</c>); with <see cref="QkNorm"/>. Default false.
    /// </summary>
    public bool QkNormOverHeads { get; init; }

    /// <summary>
    /// Each block normalises attention's and the MLP's inputs (ln1, ln2). Default true; false in OLMo-2, which normalises only
    /// their outputs (<see cref="PostNorms"/>): the blocks then read the residual stream as it is.
    /// </summary>
    public bool PreNorms { get; init; } = true;

    /// <summary>GPT-J-style rotation of adjacent pairs instead of GPT-NeoX-style halves. Default false.</summary>
    public bool RotaryAdjacentPairs { get; init; }

    /// <summary>Attention and MLP both read the block's input and add to it (GPT-NeoX). Default false.</summary>
    public bool ParallelAttnMlp { get; init; }

    /// <summary>The MLP is gated (SwiGLU: W_gate, W_in, W_out). Default false.</summary>
    public bool GatedMlp { get; init; }

    /// <summary>TL's <c>act_fn</c>: gelu_new (GPT-2's tanh approximation), gelu (exact), silu. Default gelu_new.</summary>
    public string ActFn { get; init; } = "gelu_new";

    /// <summary>Key/value heads for grouped-query attention; null when every query head has its own.</summary>
    public int? NKeyValueHeads { get; init; }

    /// <summary>The final normalisation is RMS (TL's <c>final_rms</c>). Default false.</summary>
    public bool FinalRms { get; init; }

    /// <summary>TL's <c>to_tokens</c> prepends BOS by default for this family. Default true.</summary>
    public bool DefaultPrependBos { get; init; } = true;

    /// <summary>
    /// The checkpoint ties its unembedding to the token embedding (Hugging Face's <c>tie_word_embeddings</c>). Default false.
    /// </summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>
    /// The unembedding is computed from the token embedding's storage instead of a <c>W_U</c> of its own: tied RMSNorm
    /// models, where TL's <c>W_U</c> is <c>W_E^T</c> scaled by the folded final norm and centred over the vocabulary, a
    /// vector each (a 150k-256k vocabulary is a quarter of a small model). LayerNorm models keep their own <c>W_U</c>: TL
    /// centres <c>W_E</c> over d_model, which the unembedding does not follow.
    /// </summary>
    public bool SharesEmbedding => TiedEmbeddings && Normalization == NormalizationType.RMS;

    /// <summary>
    /// Each block normalises attention's and the MLP's outputs before they join the residual stream (TL's
    /// <c>use_normalization_before_and_after</c>: Gemma 2 and 3): children <c>ln1_post</c>, <c>ln2_post</c> run before
    /// <c>hook_attn_out</c> / <c>hook_mlp_out</c> and are never folded. Heads' outputs then no longer add up to attn_out.
    /// Default false.
    /// </summary>
    public bool PostNorms { get; init; }

    /// <summary>
    /// The token embedding is multiplied by this at lookup, before <c>hook_embed</c> (Gemma: sqrt(d_model)); null for none.
    /// TL stores the product in <c>W_E</c>; the kit keeps the checkpoint's rows, which a tied unembedding reads unscaled, and
    /// <see cref="HookedTransformer.W_E"/> returns TL's scaled copy.
    /// </summary>
    public double? EmbeddingScale { get; init; }

    /// <summary>
    /// Attention scores become cap * tanh(scores / cap) after scaling, before the mask (TL's <c>attn_scores_soft_cap</c>); null
    /// for none.
    /// </summary>
    public double? AttnScoresSoftCap { get; init; }

    /// <summary>Logits become cap * tanh(logits / cap) after the unembedding (TL's <c>output_logits_soft_cap</c>); null for none.</summary>
    public double? OutputLogitsSoftCap { get; init; }

    /// <summary>Scores are divided by sqrt of this instead of sqrt(d_head) (Hugging Face's <c>query_pre_attn_scalar</c>); null for d_head.</summary>
    public double? QueryPreAttnScalar { get; init; }

    /// <summary>
    /// The local layers' window: a query sees keys less than this many positions back (TL's <c>window_size</c>; Hugging Face's
    /// <c>sliding_window</c>) on the layers <see cref="SlidingLayers"/> marks; null for none.
    /// </summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Which layers attend within <see cref="SlidingWindow"/> (TL's <c>attn_types</c> "local"); null: none.</summary>
    public IReadOnlyList<bool>? SlidingLayers { get; init; }

    /// <summary>Layer <paramref name="layer"/>'s attention window, or null where it attends to every earlier position.</summary>
    public int? WindowOf(int layer) => SlidingLayers is { } local && local[layer] ? SlidingWindow : null;

    /// <summary>Key/value heads: <see cref="NKeyValueHeads"/>, else <see cref="NHeads"/>.</summary>
    public int NKv => NKeyValueHeads ?? NHeads;

    /// <summary>Query heads per key/value head (1 without grouped-query attention).</summary>
    public int GroupSize => NHeads / NKv;

    /// <summary>Whether grouped-query attention is used (TL's GroupedQueryAttention: its k/v weights are <c>_W_K</c>, <c>_W_V</c>).</summary>
    public bool Grouped => NKeyValueHeads is not null;

    public bool IsRotary => Positional == PositionalEmbeddingType.Rotary;

    /// <summary>Attention scores are divided by this (TL's attn_scale: sqrt(d_head), or sqrt(query_pre_attn_scalar)).</summary>
    public double AttnScale => Math.Sqrt(QueryPreAttnScalar ?? DHead);

    /// <summary>The state-dict prefix of grouped k/v weights: "_" with grouped-query attention (TL's <c>_W_K</c>), else "".</summary>
    public string KvPrefix => Grouped ? "_" : "";
}
