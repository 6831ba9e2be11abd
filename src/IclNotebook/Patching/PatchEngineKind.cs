namespace IclNotebook.Patching;

/// <summary>What computed a grid's values (recorded in <see cref="PatchSettings.Engine"/>; <c>--engine</c> takes the exact two).</summary>
public enum PatchEngineKind
{
    /// <summary>One forward per patch, TransformerLens's algorithm (<see cref="ReferenceEngine"/>). Exact.</summary>
    Reference,

    /// <summary>Batched forwards that start at the patched layer (<see cref="FastEngine"/>). Exact: equal to the reference.</summary>
    Fast,

    /// <summary>A first-order gradient estimate of every patch at once (<see cref="AttributionPatching"/>). Approximate.</summary>
    Attribution,

    /// <summary>The function-vector paper's indirect effects of mean head outputs (<c>FunctionVectorAnalysis</c>). Exact.</summary>
    FunctionVector,
}
