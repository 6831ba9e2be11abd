namespace IclNotebook.Patching;

/// <summary>
/// The one axis vocabulary of patching results (TransformerLens's layer, pos, head_index, dest_pos,
/// src_pos, and the stacked sets' patch type). Results and their JSON carry these names.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PatchAxis>))]
public enum PatchAxis
{
    /// <summary>Which target of a stacked set (attn_head_all_pos_every's Output, Query, Key, Value, Pattern).</summary>
    PatchType,
    Layer,
    Pos,
    Head,
    DestPos,
    SrcPos,
}

/// <summary>How an activation's dimensions are laid out (after the batch dimension).</summary>
public enum ActivationLayout
{
    /// <summary>[batch, pos, d] — residual stream, attn_out, mlp_out.</summary>
    PosVector,

    /// <summary>[batch, pos, head, d_head] — hook_q, hook_k, hook_v, hook_z.</summary>
    HeadVector,

    /// <summary>[batch, head, dest_pos, src_pos] — hook_pattern, hook_attn_scores.</summary>
    Pattern,
}
