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

    /// <summary>The layer whose <c>hook_resid_post</c> the vector is added to in the zero-shot test; null (default) sweeps every layer.</summary>
    public int? Layer { get; init; }
}
