namespace IclNotebook.Tests;

/// <summary>
/// The test lanes. The unit lane, for a developer's loop, is every test without this trait:
/// <c>dotnet test IclNotebook.sln --filter "Lane!=Full"</c> (well under two minutes). The full lane
/// (<c>dotnet test IclNotebook.sln</c>, what CI runs) adds the tests marked
/// <c>[Trait(Lane.Name, Lane.Full)]</c>: notebooks and twins executed headless, <c>icl</c> run as a
/// process, a browser, the Slurm cluster, the toy trainer, and the patching grids checked on every
/// family and engine.
/// </summary>
internal static class Lane
{
    public const string Name = "Lane";
    public const string Full = "Full";
}
