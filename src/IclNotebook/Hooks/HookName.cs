namespace IclNotebook.Hooks;

/// <summary>
/// TransformerLens hook names, built in one place so a TL user finds everything by the name they
/// know (<c>HookName.Z(3)</c> is <c>blocks.3.attn.hook_z</c>).
/// </summary>
public static class HookName
{
    public const string Embed = "hook_embed";
    public const string PosEmbed = "hook_pos_embed";
    public const string FinalScale = "ln_final.hook_scale";
    public const string FinalNormalized = "ln_final.hook_normalized";

    public static string ResidPre(int layer) => $"blocks.{layer}.hook_resid_pre";
    public static string ResidMid(int layer) => $"blocks.{layer}.hook_resid_mid";
    public static string ResidPost(int layer) => $"blocks.{layer}.hook_resid_post";
    public static string AttnOut(int layer) => $"blocks.{layer}.hook_attn_out";
    public static string MlpOut(int layer) => $"blocks.{layer}.hook_mlp_out";
    public static string Q(int layer) => $"blocks.{layer}.attn.hook_q";
    public static string K(int layer) => $"blocks.{layer}.attn.hook_k";
    public static string V(int layer) => $"blocks.{layer}.attn.hook_v";
    public static string Z(int layer) => $"blocks.{layer}.attn.hook_z";

    /// <summary>Rotary models: the query after rotation, [batch, pos, head, d_head].</summary>
    public static string RotQ(int layer) => $"blocks.{layer}.attn.hook_rot_q";

    /// <summary>Rotary models: the key after rotation, [batch, pos, kv_head, d_head] (what later positions attend to).</summary>
    public static string RotK(int layer) => $"blocks.{layer}.attn.hook_rot_k";

    /// <summary>The keys later positions attend to: after the rotation in a rotary model (hook_rot_k), else hook_k.</summary>
    public static string AttendedKeys(bool rotary, int layer) => rotary ? RotK(layer) : K(layer);
    public static string AttnScores(int layer) => $"blocks.{layer}.attn.hook_attn_scores";
    public static string Pattern(int layer) => $"blocks.{layer}.attn.hook_pattern";
    public static string MlpPre(int layer) => $"blocks.{layer}.mlp.hook_pre";
    public static string MlpPost(int layer) => $"blocks.{layer}.mlp.hook_post";

    /// <summary>Gated MLPs: the linear (ungated) input, x W_in, [batch, pos, d_mlp].</summary>
    public static string MlpPreLinear(int layer) => $"blocks.{layer}.mlp.hook_pre_linear";
    public static string Ln1Scale(int layer) => $"blocks.{layer}.ln1.hook_scale";
    public static string Ln1Normalized(int layer) => $"blocks.{layer}.ln1.hook_normalized";
    public static string Ln2Scale(int layer) => $"blocks.{layer}.ln2.hook_scale";
    public static string Ln2Normalized(int layer) => $"blocks.{layer}.ln2.hook_normalized";

    /// <summary>
    /// TransformerLens's <c>get_act_name(name, layer)</c> for a block's activation:
    /// <c>Block("z", 3)</c> is <c>blocks.3.attn.hook_z</c>, <c>Block("resid_pre", 0)</c> is
    /// <c>blocks.0.hook_resid_pre</c>.
    /// </summary>
    public static string Block(string activation, int layer) => activation switch
    {
        "resid_pre" => ResidPre(layer),
        "resid_mid" => ResidMid(layer),
        "resid_post" => ResidPost(layer),
        "attn_out" => AttnOut(layer),
        "mlp_out" => MlpOut(layer),
        "q" => Q(layer),
        "k" => K(layer),
        "v" => V(layer),
        "z" => Z(layer),
        "attn_scores" => AttnScores(layer),
        "pattern" => Pattern(layer),
        "rot_q" => RotQ(layer),
        "rot_k" => RotK(layer),
        "pre" => MlpPre(layer),
        "pre_linear" => MlpPreLinear(layer),
        "post" => MlpPost(layer),
        _ => throw new IclException($"Unknown activation '{activation}'. " +
            "Activations: resid_pre, resid_mid, resid_post, attn_out, mlp_out, q, k, v, rot_q, rot_k, z, attn_scores, pattern, " +
            "pre, pre_linear, post."),
    };
}
