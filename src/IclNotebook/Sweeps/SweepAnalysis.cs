namespace IclNotebook.Sweeps;

/// <summary>An analysis a sweep runs on every task, named on the command line as <c>accuracy</c>, <c>fv</c>, <c>patching</c>, <c>anchors</c>.</summary>
public enum SweepAnalysis
{
    /// <summary><c>icl accuracy</c>: accuracy by shots.</summary>
    Accuracy,

    /// <summary><c>icl fv</c>: function vectors (AIE per head, the vector, the zero-shot test).</summary>
    Fv,

    /// <summary><c>icl analyze</c>: activation patching (the sweep's targets).</summary>
    Patching,

    /// <summary><c>icl anchors</c>: label words as anchors, on the checkpoint's own weights.</summary>
    Anchors,
}
