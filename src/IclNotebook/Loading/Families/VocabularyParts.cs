using static TorchSharp.torch;

namespace IclNotebook.Loading.Families;

/// <summary>
/// A model's first part as its family gives it: the token embedding as stored (<c>[d_vocab, d_model]</c>, unread: it is
/// read a block of rows at a time) and TL's other embedding tensors (<c>W_pos</c> where positions are learned).
/// </summary>
internal sealed record EmbeddingPart(CheckpointMatrix TokenEmbedding, Dictionary<string, Tensor> Others);

/// <summary>
/// A model's last part as its family gives it: the unembedding as stored (<c>[d_vocab, d_model]</c>: the <c>lm_head</c>,
/// or the token embedding where they are tied; unread), and TL's final norm and <c>b_U</c> (zero unless the head has a bias).
/// </summary>
internal sealed record UnembeddingPart(CheckpointMatrix Head, Dictionary<string, Tensor> Others)
{
    /// <summary>
    /// The part of a head with a bias (GPT-J's) or without (<c>b_U</c> zero), and a final norm with (LayerNorm) or without
    /// (RMSNorm) a bias.
    /// </summary>
    public static UnembeddingPart Of(CheckpointMatrix head, Tensor normWeight, Tensor? normBias = null, Tensor? headBias = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        var others = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            [Model.StateDictKey.LnFinalW] = normWeight,
            [Model.StateDictKey.BU] = headBias ?? zeros(head.Rows),
        };
        if (normBias is not null) others[Model.StateDictKey.LnFinalB] = normBias;
        return new UnembeddingPart(head, others);
    }
}
