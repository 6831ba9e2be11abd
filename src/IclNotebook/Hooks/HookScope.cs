namespace IclNotebook.Hooks;

/// <summary>Hooks attached for the lifetime of a <c>using</c> block; disposing removes them all.</summary>
public sealed class HookScope : IDisposable
{
    private readonly List<IDisposable> _removals;

    internal HookScope(List<IDisposable> removals) { _removals = removals; }

    /// <summary>Also runs <paramref name="release"/> when the scope is disposed (after the hooks are removed).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The scope owns it and disposes it last.")]
    internal HookScope OnDispose(Action release)
    {
        _removals.Insert(0, new Release(release));
        return this;
    }

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }

    public void Dispose()
    {
        for (int i = _removals.Count - 1; i >= 0; i--) _removals[i].Dispose();
        _removals.Clear();
    }
}
