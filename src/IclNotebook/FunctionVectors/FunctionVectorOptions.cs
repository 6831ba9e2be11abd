namespace IclNotebook.FunctionVectors;

/// <summary>The function-vector protocol's parameters (Todd et al. 2024); each default is stated.</summary>
public sealed record FunctionVectorOptions
{
    /// <summary>How many heads (by average indirect effect) the vector sums. Default 10, fewer if the model has fewer heads.</summary>
    public int TopHeads { get; init; } = 10;

    /// <summary>
    /// Null (default): the corrupted prompts are the task's own (its corruption as written). A seed:
    /// the demonstrations' labels are shuffled with it instead, as the paper does.
    /// </summary>
    public long? ShuffleSeed { get; init; }

    /// <summary>
    /// For a dataset task, how many clean prompts the heads' mean outputs are taken over, sampled apart from the AIE's
    /// prompts (the paper: 100 for the means, 25 for the AIE); null (default) takes the means over the AIE's own clean
    /// prompts. A hand-written task refuses it: its prompts are as written.
    /// </summary>
    public int? MeanPrompts { get; init; }

    /// <summary>The layer whose <c>hook_resid_post</c> the vector is added to in the zero-shot test; null (default) sweeps every layer.</summary>
    public int? Layer { get; init; }
}
