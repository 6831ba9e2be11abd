namespace IclNotebook.TaskVectors;

/// <summary>The task-vector protocol's parameters (Hendel et al. 2023); each default is stated.</summary>
public sealed record TaskVectorOptions
{
    /// <summary>The layers whose <c>hook_resid_pre</c> the vector is taken from and patched into; null (default) every layer.</summary>
    public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>Tokens generated per answer; null (default) the longest expected answer's tokens plus 2.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Prompts generated together. Default 16.</summary>
    public int BatchSize { get; init; } = 16;
}
