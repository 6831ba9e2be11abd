namespace IclNotebook.Hooks;

/// <summary>Hooks attached for the lifetime of a <c>using</c> block; disposing removes them all.</summary>
public sealed class HookScope : IDisposable
{
    private readonly List<IDisposable> _removals;

    internal HookScope(List<IDisposable> removals) { _removals = removals; }

    public void Dispose()
    {
        for (int i = _removals.Count - 1; i >= 0; i--) _removals[i].Dispose();
        _removals.Clear();
    }
}
