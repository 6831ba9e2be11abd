namespace IclNotebook.Model;

/// <summary>How weights were transformed after loading (recorded on the model and in results).</summary>
public enum WeightProcessing
{
    /// <summary>
    /// TransformerLens's <c>from_pretrained</c> defaults: fold LayerNorm weights into the next
    /// linear maps, centre the weights that write to the residual stream, centre the unembedding,
    /// fold value biases into the output bias. Log-probs are unchanged; hook values differ from raw.
    /// </summary>
    Default,

    /// <summary>The checkpoint's weights as stored (TL's <c>from_pretrained_no_processing</c>).</summary>
    Raw,
}
